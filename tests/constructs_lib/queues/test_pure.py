"""The queue model and the generator are pure Python: importing them loads nothing of cdktf, constructs or jsii."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

FORBIDDEN = ("cdktf", "constructs", "jsii", "constructs_lib.infra")
PROBE = (
    "import importlib, json, pkgutil, sys\n"
    "import constructs_lib.{package} as package\n"
    "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
    "    if not module.name.endswith('__main__'):\n"
    "        importlib.import_module(module.name)\n"
    "print(json.dumps(sorted(sys.modules)))\n"
)


@pytest.mark.parametrize("package", ["queues", "bootstrap"])
def test_importing_every_module_loads_nothing_of_cdktf(package):
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout)
    assert any(m.startswith(f"constructs_lib.{package}.") for m in modules)  # the probe imported them at all
    loaded = [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert loaded == []


def test_every_module_of_the_model_imports_first_in_a_fresh_process():
    """The registry of hosting kinds imports its units, which import helpers of the model: no import order may break."""
    import pkgutil

    import constructs_lib.queues as package

    names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    probe = "import importlib, sys\nimportlib.import_module(sys.argv[1])\n"
    failed = []
    for name in names:
        done = subprocess.run(
            [sys.executable, "-c", probe, name], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            failed.append(f"{name}: {done.stderr.strip().splitlines()[-1]}")
    assert failed == []
