"""The bootstrap step Buildkite stores: written by the toolkit, runs nothing of the checkout, as the README shows it."""

from __future__ import annotations

import re
import shlex
import subprocess

import yaml

from constructs_lib.bootstrap import pipeline_steps
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.model import Toolkit
from tests.conftest import REPO


def test_the_stored_step_runs_the_bootstrap_on_the_bootstrap_queue():
    model = load_queues(REPO / "queues.yaml")
    (step,) = yaml.safe_load(pipeline_steps.stored_steps(model, "ci"))["steps"]
    assert step["agents"] == {"queue": model.bootstrap_queue()} and step["key"] == "bootstrap"
    assert step["command"] == pipeline_steps.bootstrap_command(model.buildkite.toolkit)
    assert pipeline_steps.stored_steps(model, "ci") == pipeline_steps.stored_steps(
        load_queues(REPO / "queues.yaml"), "ci"
    )


def test_nothing_of_the_checkout_runs(tmp_path):
    """A fork's checkout may hold .ci-toolkit/ and a pip/ package: neither is what runs."""
    command = pipeline_steps.bootstrap_command(Toolkit(repository="https://github.com/acme/ci-toolkit.git", ref="v1"))
    lines = command.splitlines()
    assert lines[0] == "rm -rf .ci-toolkit"  # a .ci-toolkit of the checkout is gone before the clone
    assert "--branch v1 https://github.com/acme/ci-toolkit.git .ci-toolkit" in lines[1]
    assert all(" -m " not in line or " -I -m " in line for line in lines), (
        "python -m without -I imports from the checkout"
    )
    # What -I means, shown: a pip/ package in the working folder is imported by `python3 -m pip`, not by `python3 -I -m pip`.
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "__main__.py").write_text("print('fork code ran')\n")
    (tmp_path / "pip" / "__init__.py").write_text("")
    plain = subprocess.run(["python3", "-m", "pip", "--version"], cwd=tmp_path, capture_output=True, text=True)
    isolated = subprocess.run(["python3", "-I", "-m", "pip", "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert "fork code ran" in plain.stdout and "fork code ran" not in isolated.stdout


def test_values_reach_the_command_as_quoted_words():
    command = pipeline_steps.bootstrap_command(
        Toolkit(repository="https://github.com/acme/ci-toolkit.git", ref="release/v1.2")
    )
    assert shlex.split(command.splitlines()[1])[-3:] == [
        "release/v1.2",
        "https://github.com/acme/ci-toolkit.git",
        ".ci-toolkit",
    ]


def test_the_readme_shows_the_step_the_toolkit_stores():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```yaml\n(steps:\n  - label: \":pipeline: bootstrap\".*?)```", readme, re.S)
    assert block, "the README shows the stored step"
    shown = yaml.safe_load(block.group(1))["steps"][0]
    assert shown["command"].rstrip("\n") == pipeline_steps.bootstrap_command(
        Toolkit(repository="https://github.com/your-org/buildkite-ci-toolkit.git")
    )
