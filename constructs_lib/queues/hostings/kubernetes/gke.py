"""Which Kubernetes queues the optional GKE cluster serves. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def queues_on_gke(model: QueuesFile) -> list[str]:
    """The Kubernetes queues whose agent stack runs on the GKE cluster (`kubernetes.cluster` absent or naming it), in file order."""
    gke = model.gcp.gke if model.gcp is not None else None
    if gke is None:
        return []
    return [name for name, queue in model.kubernetes_queues().items() if queue.runs_on(gke.name)]
