"""Which hosts mount the shared model cache, and where: a pure function of queues.yaml.

A queue's hosts mount the region's model cache (`aws.model_cache`) when its
runner keeps HF_HOME on a host volume: the host side of the volume whose
container side is the runner's `hf_home` is the mount point. Containers of
untrusted builds get that volume read-only (constructs_lib.bootstrap.runners),
so a fork reads the cache and writes nothing a trusted job loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def mount_point(model: QueuesFile, queue_name: str) -> Optional[str]:
    """Where queue `queue_name`'s hosts mount the model cache, or None."""
    if model.aws is None or model.aws.model_cache is None or model.queues[queue_name].aws is None:
        return None
    runner = model.runner_of(queue_name)
    if runner is None or runner.hf_home is None:
        return None
    for volume in runner.volumes:
        host, container = volume.split(":")[:2]
        if container.rstrip("/") == runner.hf_home.rstrip("/"):
            return host.rstrip("/") or "/"
    return None


def mounting_queues(model: QueuesFile) -> dict[str, str]:
    """Queue -> mount point, for every queue whose hosts mount the cache."""
    return {name: point for name in model.queues if (point := mount_point(model, name)) is not None}
