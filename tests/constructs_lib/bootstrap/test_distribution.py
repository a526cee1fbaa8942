"""`pip install <toolkit checkout>` in a fresh virtualenv: the `ci-bootstrap` command, without cdktf.

Installs from a copy of the distribution's files (setuptools writes build
files beside the sources) with the dependencies from the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, shared_path

pytestmark = pytest.mark.slow

DISTRIBUTION = [
    "pyproject.toml",
    "constructs_lib/__init__.py",
    "constructs_lib/atomic_file.py",
    "constructs_lib/queues",
    "constructs_lib/bootstrap",
]


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    source = root / "toolkit"
    for part in DISTRIBUTION:
        target = source / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / part, target)
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    done = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 and "Could not find a version" in done.stderr + done.stdout:
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    return env_dir, env


def run(venv, *args, cwd=None):
    env_dir, env = venv
    env = {**env, "PATH": f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"}
    return subprocess.run(list(args), env=env, cwd=cwd or env_dir, capture_output=True, text=True, timeout=300)


def test_the_command_is_installed_and_cdktf_is_not(venv):
    done = run(venv, "ci-bootstrap", "--help")
    assert done.returncode == 0, done.stderr
    assert "--pipeline" in done.stdout and "--queues" in done.stdout
    probe = "import importlib.util as u; print([m for m in ('cdktf', 'constructs', 'jsii', 'constructs_lib.infra') if u.find_spec(m)])"
    done = run(venv, "python", "-c", probe)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_full_generation_on_a_shared_fixture(venv, tmp_path):
    fixture = shared_path("vllm-test-pipelines", "vllm-project__vllm__2bc3fbba0cf5.yaml")
    out = tmp_path / "pipeline.yaml"
    done = run(
        venv,
        "ci-bootstrap",
        "--pipeline",
        str(fixture),
        "--queues",
        str(REPO / "queues.yaml"),
        "--run-all",
        "--output",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    steps = yaml.safe_load(out.read_text())["steps"]
    assert any(s.get("key") == "image-build" for s in steps) and len(steps) > 20


def test_the_current_layout_through_the_installed_command(venv, tmp_path):
    config = shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")
    done = run(
        venv,
        "ci-bootstrap",
        "--pipeline",
        str(config),
        "--queues",
        str(REPO / "queues.yaml"),
        "--run-all",
        "--output",
        "-",
    )
    assert done.returncode == 0, done.stderr
    steps = yaml.safe_load(done.stdout)["steps"]
    commands = [
        s for step in steps for s in step.get("steps", [step]) if "command" in s or "commands" in s or "plugins" in s
    ]
    assert len(commands) > 150, len(commands)
