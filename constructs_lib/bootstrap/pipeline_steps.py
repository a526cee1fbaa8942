"""The steps Buildkite stores for a pipeline of queues.yaml: the bootstrap, as its first and only step.

Written by the toolkit, never by hand, so that the stored step, the README and
the buildkite stack say the same thing; written as the generator writes its
pipelines (yaml_writer). The command runs on the bootstrap
queue in the tested repository's checkout, which for a fork's PR is the
fork's code: nothing of the checkout may run. So the toolkit is cloned
afresh over any `.ci-toolkit` the checkout holds, Python runs isolated (`-I`:
the checkout is not on its import path, so a `pip/` folder of a fork is
never imported), and the generator runs from a virtualenv of its own. Pure.
"""

from __future__ import annotations

import shlex
from typing import Any

from constructs_lib.bootstrap import yaml_writer
from constructs_lib.queues.model import QueuesFile, Toolkit

TOOLKIT_DIR = ".ci-toolkit"
LABEL = ":pipeline: bootstrap"


def bootstrap_command(toolkit: Toolkit) -> str:
    """The bootstrap step's command: fetch the toolkit, install it apart, run scripts/bootstrap.sh."""
    venv = f"{TOOLKIT_DIR}/.venv"
    return "\n".join(
        [
            f"rm -rf {TOOLKIT_DIR}",
            f"git clone --quiet --depth 1 --branch {shlex.quote(toolkit.ref)} {shlex.quote(toolkit.repository)} {TOOLKIT_DIR}",
            f"python3 -I -m venv {venv}",
            f"{venv}/bin/python -I -m pip install --quiet ./{TOOLKIT_DIR}",
            f"CI_BOOTSTRAP={venv}/bin/ci-bootstrap {TOOLKIT_DIR}/scripts/bootstrap.sh",
        ]
    )


def bootstrap_step(model: QueuesFile, slug: str) -> dict[str, Any]:
    """The bootstrap step of pipeline `slug` as a pipeline step."""
    bk = model.buildkite
    if bk is None or bk.toolkit is None:
        raise ValueError("queues.yaml has no buildkite.toolkit")
    pipeline = bk.pipelines[slug]
    step: dict[str, Any] = {
        "label": LABEL,
        "key": "bootstrap",
        "agents": {"queue": model.bootstrap_queue()},
        "command": bootstrap_command(bk.toolkit),
    }
    if pipeline.bootstrap_environment:
        step["env"] = dict(sorted(pipeline.bootstrap_environment.items()))
    return step


def stored_steps(model: QueuesFile, slug: str) -> str:
    """The YAML Buildkite stores as the pipeline's steps (before signing)."""
    return yaml_writer.dump({"steps": [bootstrap_step(model, slug)]})
