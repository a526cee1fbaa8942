"""The GCP state stack, shared by the GCP hosting kinds (TPU fleets, the GKE cluster)."""

from __future__ import annotations

from cdktf import App

from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import QueuesFile


def ensure_gcp_state(app: App, model: QueuesFile) -> None:
    """The GCP state stack, once, for whichever GCP kind comes first."""
    if app.node.try_find_child(stack_ids.GCP_STATE) is None:
        from constructs_lib.infra.stacks import gcp_state_stack

        gcp_state_stack.GcpStateStack(app, stack_ids.GCP_STATE, model=model)
