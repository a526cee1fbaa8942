"""Which declared queue runs a job: a pure function of its needs and queues.yaml.

Rules, first match wins:

1. a queue pins the job's label (`routing.labels`);
2. an image build goes to the first AWS queue with `aws.builder: true`;
3. a device the step names (`device:`) goes to the queue listing it in
   `routing.devices`; a device no queue lists but that is an accelerator type
   is routed as that type, and `cpu` as CPU-only;
4. a hardware line (AMD mirror, hardware test) goes to the queue listing it
   in `routing.hardware`;
5. otherwise among `routing.general` queues: CPU-only jobs go to the first
   queue without accelerators; others to the queue offering the type with the
   fewest accelerators per agent that still fit (ties: first declared).

A queue that offers accelerators must have enough of them for a job routed to
it by any rule; `num_nodes` x GPUs run on one host.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Union

from constructs_lib.queues.model import Queue, QueuesFile

CPU_DEVICE = "cpu"


@dataclasses.dataclass(frozen=True)
class Needs:
    """What a job asks of the queue that runs it."""

    label: str
    accelerator: Optional[str] = None  # None: CPU only
    count: int = 0  # accelerators on one host
    device: Optional[str] = None
    hardware: Optional[str] = None
    builder: bool = False


@dataclasses.dataclass(frozen=True)
class Route:
    queue: str
    rule: str  # why this queue, for the explanation


@dataclasses.dataclass(frozen=True)
class Unroutable:
    reason: str


def route(needs: Needs, model: QueuesFile) -> Union[Route, Unroutable]:
    queues = model.queues
    for name, queue in queues.items():
        if needs.label in queue.routing.labels:
            return _fits(name, queue, needs, f"label pinned by {name}")
    if needs.builder:
        for name, queue in queues.items():
            if queue.aws is not None and queue.aws.builder:
                return Route(name, "image builder (aws.builder)")
        return Unroutable("no AWS queue has aws.builder: true to build images")
    if needs.device is not None:
        for name, queue in queues.items():
            if needs.device in queue.routing.devices:
                return _fits(name, queue, needs, f"device {needs.device}")
        if needs.device == CPU_DEVICE:
            return _general(dataclasses.replace(needs, accelerator=None, count=0, device=None), model)
        if any(q.accelerator and q.accelerator.type == needs.device for q in queues.values()):
            return _general(dataclasses.replace(needs, accelerator=needs.device, count=max(needs.count, 1)), model)
        if needs.hardware is None:
            return Unroutable(f"no queue lists device {needs.device!r} in routing.devices")
    if needs.hardware is not None:
        for name, queue in queues.items():
            if needs.hardware in queue.routing.hardware:
                return _fits(name, queue, needs, f"hardware {needs.hardware}")
        return Unroutable(f"no queue lists hardware {needs.hardware!r} in routing.hardware")
    return _general(needs, model)


def _fits(name: str, queue: Queue, needs: Needs, rule: str) -> Union[Route, Unroutable]:
    if queue.accelerator is not None and needs.count > queue.accelerator.count:
        return Unroutable(f"{rule} sends it to {name}, which offers {queue.accelerator.count} per agent; it needs {needs.count}")
    return Route(name, rule)


def _general(needs: Needs, model: QueuesFile) -> Union[Route, Unroutable]:
    general = [(name, q) for name, q in model.queues.items() if q.routing.general]
    if needs.accelerator is None:
        for name, queue in general:
            if queue.accelerator is None:
                return Route(name, "CPU only")
        return Unroutable("no general queue without accelerators runs CPU-only steps")
    offering = [(name, q.accelerator.count) for name, q in general if q.accelerator and q.accelerator.type == needs.accelerator]
    fitting = [(name, count) for name, count in offering if count >= needs.count]
    if fitting:
        # min() keeps the first of equals: ties go to the first declared queue.
        name, _ = min(fitting, key=lambda item: item[1])
        return Route(name, f"{needs.count} x {needs.accelerator}: fewest per agent that fit")
    if offering:
        largest = max(count for _, count in offering)
        return Unroutable(f"needs {needs.count} x {needs.accelerator} on one host; general queues offer at most {largest}")
    return Unroutable(f"no general queue offers accelerator {needs.accelerator!r}")
