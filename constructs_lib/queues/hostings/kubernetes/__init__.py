"""Kubernetes queues: jobs run as pods of agent-stack-k8s (on the optional GKE cluster, or a cluster of its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.queues import stack_ids
from constructs_lib.queues.hostings.kind import HostingKind
from constructs_lib.queues.hostings.kubernetes.rules import RULES

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue, QueuesFile


def summary_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    gke = model.gcp.gke if model.gcp else None
    pools = [p for p in (gke.node_pools.values() if gke and gke.enabled else []) if p.queue == name]
    if pools:
        sizes = f"{sum(p.min_nodes for p in pools)}/{sum(p.max_nodes for p in pools)}"
        return (name, "gke", stack_ids.GCP_GKE, ",".join(p.machine_type for p in pools), sizes)
    return (name, "kubernetes", "-", "-", "-")


# Trusted builds' pods read the HF token from the hf-token-secret the helm script creates.
KIND = HostingKind(
    key="kubernetes",
    default_plugin="kubernetes",
    rules=RULES,
    summary_row=summary_row,
    hf_token=lambda queue: True,
    runs_pods=lambda queue: True,  # agent-stack-k8s
)
