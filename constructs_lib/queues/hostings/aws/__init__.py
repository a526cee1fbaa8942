"""AWS queues: each one Buildkite Elastic CI Stack (constructs_lib.infra.aws; its stack parameters and names: parameters.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.queues import stack_ids
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.hostings.aws.rules import RULES
from constructs_lib.queues.hostings.kind import HostingKind

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue, QueuesFile


def summary_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    q = queue.aws
    assert q is not None  # rows are made per hosting
    region = ecp.region(model, q)
    stack = f"{stack_ids.aws_region(region)}/{ecp.stack_name(name)}"
    return (name, f"aws {region}", stack, ",".join(q.instance_types), f"{q.min_size}/{q.max_size}")


def _hf_token(queue: Queue) -> bool:
    # Only queues that say so may read the HF token secret (their instance role, the agent tag the AMI hook reads).
    return queue.aws is not None and queue.aws.needs_hf_token


def _builds_images(queue: Queue) -> bool:
    return queue.aws is not None and queue.aws.builder


KIND = HostingKind(
    key="aws",
    default_plugin="docker",
    rules=RULES,
    summary_row=summary_row,
    hf_token=_hf_token,
    builds_images=_builds_images,
)
