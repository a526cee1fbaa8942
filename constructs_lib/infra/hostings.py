"""How the infrastructure of each hosting kind is built: its stacks, by the kind's key.

The infrastructure half of the hosting kinds of constructs_lib.queues.hostings
(which stay importable without cdktf). A kind whose stacks are not declared
costs nothing, not even the import of its provider binding.
"""

from __future__ import annotations

from typing import Callable

from cdktf import App

from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import AwsQueue, QueuesFile


def aws_stacks(app: App, model: QueuesFile) -> None:
    queues = model.aws_queues()
    if not queues:
        return
    from constructs_lib.infra.stacks.aws_region_stack import AwsRegionStack
    from constructs_lib.infra.stacks.aws_state_stack import AwsStateStack

    AwsStateStack(app, stack_ids.AWS_STATE, model=model)
    by_region: dict[str, dict[str, AwsQueue]] = {}
    for name, queue in queues.items():
        by_region.setdefault(ecp.region(model, queue), {})[name] = queue
    for region, region_queues in sorted(by_region.items()):
        AwsRegionStack(app, stack_ids.aws_region(region), model=model, region=region, queues=region_queues)


def _gcp_state(app: App, model: QueuesFile) -> None:
    """The GCP state stack, once, for whichever GCP kind comes first."""
    if app.node.try_find_child(stack_ids.GCP_STATE) is None:
        from constructs_lib.infra.stacks import gcp_state_stack

        gcp_state_stack.GcpStateStack(app, stack_ids.GCP_STATE, model=model)


def tpu_stacks(app: App, model: QueuesFile) -> None:
    if model.gcp is None or not model.hosted("tpu"):
        return
    from constructs_lib.infra.stacks import gcp_tpu_stack

    _gcp_state(app, model)
    gcp_tpu_stack.GcpTpuStack(app, stack_ids.GCP_TPU, model=model)


def kubernetes_stacks(app: App, model: QueuesFile) -> None:
    """The optional GKE cluster, when enabled; agent stacks elsewhere are installed by scripts/agent_stack_k8s_helm.py."""
    if model.gcp is None or model.gcp.gke is None or not model.gcp.gke.enabled:
        return
    from constructs_lib.infra.stacks import gcp_gke_stack

    _gcp_state(app, model)
    gcp_gke_stack.GcpGkeStack(app, stack_ids.GCP_GKE, model=model)


def no_stacks(app: App, model: QueuesFile) -> None:
    """External queues are routed to, never synthesized."""


STACK_BUILDERS: dict[str, Callable[[App, QueuesFile], None]] = {
    "aws": aws_stacks,
    "tpu": tpu_stacks,
    "kubernetes": kubernetes_stacks,
    "external": no_stacks,
}
