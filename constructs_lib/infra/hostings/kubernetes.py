"""Kubernetes queues' stacks: the optional GKE cluster, when enabled.

Their agent stacks (agent-stack-k8s) are installed by scripts/agent_stack_k8s_helm.py.
"""

from __future__ import annotations

from cdktf import App

from constructs_lib.infra.stacks.gcp_state import ensure_gcp_state
from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import QueuesFile


def add_stacks(app: App, model: QueuesFile) -> None:
    if model.gcp is None or model.gcp.gke is None or not model.gcp.gke.enabled:
        return
    from constructs_lib.infra.stacks import gcp_gke_stack

    ensure_gcp_state(app, model)
    gcp_gke_stack.GcpGkeStack(app, stack_ids.GCP_GKE, model=model)
