"""Scripts every host the toolkit boots runs as root: the AMIs, the Elastic CI Stack's own AMI, the TPU hosts."""

from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).resolve().parent
# Containers reach no instance metadata service (a DOCKER-USER rule).
BLOCK_CONTAINER_METADATA = HERE / "block-container-metadata.sh"
# The agent runs no hooks of the checked-out repository (.buildkite/hooks of a fork's PR).
AGENT_NO_LOCAL_HOOKS = HERE / "agent-no-local-hooks.sh"
# The shared model cache (EFS), mounted where the queue's runner keeps HF_HOME.
MOUNT_MODEL_CACHE = HERE / "mount-model-cache.sh"


def for_terraform(script: str) -> str:
    """A script as a Terraform string: `${` and `%{` are template syntax there."""
    return script.replace("${", "$${").replace("%{", "%%{")


def elastic_boot_script() -> str:
    """What every Elastic CI Stack instance runs at boot (a Terraform string): no metadata service for containers, no local hooks."""
    return "".join(
        for_terraform(path.read_text(encoding="utf-8")) for path in (BLOCK_CONTAINER_METADATA, AGENT_NO_LOCAL_HOOKS)
    )
