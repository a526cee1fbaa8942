"""Scripts every host the toolkit boots runs as root: the AMIs, the Elastic CI Stack's own AMI, the TPU hosts."""

from __future__ import annotations

import pathlib

HERE = pathlib.Path(__file__).resolve().parent
# Containers reach no instance metadata service (a DOCKER-USER rule).
BLOCK_CONTAINER_METADATA = HERE / "block-container-metadata.sh"
# The shared model cache (EFS), mounted where the queue's runner keeps HF_HOME.
MOUNT_MODEL_CACHE = HERE / "mount-model-cache.sh"


def for_terraform(script: str) -> str:
    """A script as a Terraform string: `${` and `%{` are template syntax there."""
    return script.replace("${", "$${").replace("%{", "%%{")
