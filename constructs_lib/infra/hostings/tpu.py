"""TPU queues' stacks: the GCP state stack and the TPU stack with every fleet."""

from __future__ import annotations

from cdktf import App

from constructs_lib.infra.stacks.gcp_state import ensure_gcp_state
from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import QueuesFile


def add_stacks(app: App, model: QueuesFile) -> None:
    if model.gcp is None or not model.hosted("tpu"):
        return
    from constructs_lib.infra.stacks import gcp_tpu_stack

    ensure_gcp_state(app, model)
    gcp_tpu_stack.GcpTpuStack(app, stack_ids.GCP_TPU, model=model)
