"""AWS queues' stacks: the state stack, then one stack per region with every AWS queue of it."""

from __future__ import annotations

from cdktf import App

from constructs_lib.queues import stack_ids
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.model import AwsQueue, QueuesFile


def add_stacks(app: App, model: QueuesFile) -> None:
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
