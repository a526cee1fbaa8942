"""Run a generated step's commands as its job would: the agent's variables, the step's env, then bash."""

from __future__ import annotations

import pathlib
import subprocess
from typing import Mapping


def step_script(step: dict) -> tuple[str, dict[str, str]]:
    """(the script the job's shell runs, the variables the step sets) for a host or docker-plugin step."""
    env = {k: str(v) for k, v in (step.get("env") or {}).items()}
    for plugin in step.get("plugins", []):
        for options in plugin.values():
            if "command" in options:  # docker: bash -xec SCRIPT, the environment by value or by name
                return options["command"][-1], env
            container = options["podSpec"]["containers"][0]
            return container["command"][0], env
    return "\n".join(step["commands"]), env


def run_step(
    step: dict, build: Mapping[str, str], cwd: pathlib.Path, path: str = "/usr/bin:/bin"
) -> subprocess.CompletedProcess:
    """The step's commands in bash, with the build's variables (as the agent sets them) and the step's env."""
    script, env = step_script(step)
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env={"PATH": path, **build, **env}, capture_output=True, text=True, timeout=30
    )
