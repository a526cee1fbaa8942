"""The distribution's dependencies (pyproject.toml) cover every package a generator process imports."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys

from .helpers import QUEUES_2024, REPO

REQUIREMENTS = REPO / "pyproject.toml"
STEPS = "steps:\n- label: A\n  source_file_dependencies: [a/]\n  command: a\n- label: B\n  gpu: h100\n  command: b\n"
# The modules a process has before it runs the generator, and its own: what else it has came from packages.
LOADED = (
    "import json, runpy, sys\n"
    "before = set(sys.modules)\n"
    "sys.argv = ['x'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('constructs_lib.bootstrap', run_name='__main__', alter_sys=True)\n"
    "except SystemExit as e:\n"
    "    assert not e.code, e.code\n"
    "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})), file=sys.stderr)\n"
)


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements() -> set[str]:
    import tomllib

    return {_name(line) for line in tomllib.loads(REQUIREMENTS.read_text(encoding="utf-8"))["project"]["dependencies"]}


def _closure(names: set[str]) -> set[str]:
    """The distributions `names` install: themselves and their dependencies without extras."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for requirement in importlib.metadata.requires(name) or ():
            if "extra ==" not in requirement:
                todo.append(_name(requirement))
    return found


def test_every_imported_package_is_required(tmp_path):
    pipeline = tmp_path / "test-pipeline.yaml"
    pipeline.write_text(STEPS, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LOADED,
            "--pipeline",
            str(pipeline),
            "--queues",
            str(QUEUES_2024),
            "--output",
            str(tmp_path / "p.yaml"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stderr.splitlines()[-1])
    owners = importlib.metadata.packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    imported = {
        dist.lower().replace("_", "-") for module in modules if module not in stdlib for dist in owners.get(module, ())
    }
    assert "pydantic" in imported and "jsonschema-rs" in imported  # the check sees packages at all
    missing = imported - _closure(_requirements())
    assert not missing, f"the generator imports {sorted(missing)}, which {REQUIREMENTS.name} does not install"
