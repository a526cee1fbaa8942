"""Which declared queue runs a job: a pure function of its needs and queues.yaml.

Rules, first match wins:

1. a queue pins the job's label (`routing.labels`);
2. an image build goes to the first AWS queue with `aws.builder: true`;
3. a device the step names (`device:`) goes to the queue listing it in
   `routing.devices`; `cpu` is CPU-only; a device no queue lists is read as
   what it describes (`device_name`): an accelerator type (`h100`), a type
   and a count per agent (`mi300_4`: the queue offering mi300 with exactly 4,
   else the fewest that fit), a type and a GPU partition (`h200_18gb`: a
   queue offering that partition), or a type and a variant (`b200-k8s`: a
   queue offering b200);
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
import re
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


@dataclasses.dataclass(frozen=True)
class DeviceName:
    """What a device name of the step files describes: `<type>[_<count> | _<n>gb | -<variant>]`."""

    family: str
    count: Optional[int] = None  # accelerators per agent (`mi300_4`)
    partition: Optional[str] = None  # a GPU partition by memory (`h200_18gb`)
    variant: Optional[str] = None  # a hosting variant (`b200-k8s`): any queue of the family


_DEVICE = re.compile(r"^(?P<family>[a-z][a-z0-9]*?)(?:_(?P<count>[1-9][0-9]?)|_(?P<partition>[1-9][0-9]{0,3}gb)|-(?P<variant>[a-z0-9]+))?$")


def device_name(name: str) -> Optional[DeviceName]:
    found = _DEVICE.match(name)
    if found is None:
        return None
    count = found.group("count")
    return DeviceName(found.group("family"), int(count) if count else None, found.group("partition"), found.group("variant"))


def _by_description(needs: Needs, model: QueuesFile) -> Optional[Union[Route, Unroutable]]:
    """A device no queue lists, routed by the family, count or partition its name describes."""
    assert needs.device is not None
    described = device_name(needs.device)
    if described is None:
        return None
    offering = [(name, q) for name, q in model.queues.items() if q.accelerator and q.accelerator.type == described.family]
    if not offering:
        return None
    if described.partition is not None:
        for name, queue in offering:
            if queue.accelerator and queue.accelerator.partition == described.partition:
                return Route(name, f"device {needs.device}: {described.family} partition {described.partition}")
        return Unroutable(f"device {needs.device!r}: no queue offers {described.family} with partition {described.partition}")
    wanted = max(described.count or 1, needs.count, 1)
    whole = [(name, q.accelerator.count) for name, q in offering if q.accelerator and q.accelerator.partition is None]
    exact = [name for name, count in whole if count == wanted]
    if exact:
        return Route(exact[0], f"device {needs.device}: {wanted} x {described.family} per agent")
    fitting = [(name, count) for name, count in whole if count >= wanted]
    if fitting:
        name, count = min(fitting, key=lambda item: item[1])
        return Route(name, f"device {needs.device}: {described.family}, fewest per agent that fit ({count})")
    return Unroutable(f"device {needs.device!r}: no queue offers {wanted} x {described.family} per agent")


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
        if any(q.accelerator and q.accelerator.type == needs.device and q.routing.general for q in queues.values()):
            return _general(dataclasses.replace(needs, accelerator=needs.device, count=max(needs.count, 1)), model)
        described = _by_description(needs, model)
        if described is not None:
            return described
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
