"""Which declared queue runs a job: a pure function of its needs, the build and queues.yaml.

Only queues that serve the build (`builds`: premerge for PR and feature-branch
builds, postmerge for the default branch) are candidates. Rules, first match
wins:

1. a queue pins the job's label (`routing.labels`);
2. an image build goes to the first AWS builder (`aws.builder: true`) of its
   architecture (a build named arm64 needs an arm64 builder);
3. a device the step names (`device:`) goes to a queue listing it in
   `routing.devices`; else it is read as what it describes: a family
   (`h100`, `intel_cpu`: the queue of that family with the fewest
   accelerators per agent that fit), a family and a count per agent
   (`mi300_4`: exactly 4, else the fewest that fit), a family and a GPU
   partition (`h200_18gb`), or a family and a variant (`b200-k8s`,
   `cpu-small`: the family's queue of that variant); `cpu` is any CPU queue;
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

from constructs_lib.queues.hostings import kind_of
from constructs_lib.queues.model import CPU_FAMILY, BuildKind, Queue, QueuesFile

CPU_DEVICE = CPU_FAMILY
# Image builds whose name says so build for arm64 (vLLM: `:docker: Build arm64 image`).
ARM64_WORDS = re.compile(r"(^|[^a-z0-9])(arm64|aarch64)([^a-z0-9]|$)")


@dataclasses.dataclass(frozen=True)
class Needs:
    """What a job asks of the queue that runs it."""

    label: str
    accelerator: Optional[str] = None  # None: CPU only
    count: int = 0  # accelerators on one host
    device: Optional[str] = None
    hardware: Optional[str] = None
    builder: bool = False
    architecture: str = "x86_64"  # of the builder an image build needs


@dataclasses.dataclass(frozen=True)
class Route:
    queue: str
    rule: str  # why this queue, for the explanation


@dataclasses.dataclass(frozen=True)
class Unroutable:
    reason: str


@dataclasses.dataclass(frozen=True)
class DeviceName:
    """What a device name of the step files describes: `<family>[_<count> | _<n>gb | -<variant>]`."""

    family: str
    count: Optional[int] = None  # accelerators per agent (`mi300_4`)
    partition: Optional[str] = None  # a GPU partition by memory (`h200_18gb`)
    variant: Optional[str] = None  # a variant of the family's hosts (`b200-k8s`, `cpu-small`)


_DEVICE = re.compile(
    r"^(?P<family>[a-z][a-z0-9_]*?)(?:_(?P<count>[1-9][0-9]?)|_(?P<partition>[1-9][0-9]{0,3}gb)|-(?P<variant>[a-z0-9][a-z0-9-]*))?$"
)


def device_name(name: str) -> Optional[DeviceName]:
    found = _DEVICE.match(name)
    if found is None:
        return None
    count = found.group("count")
    return DeviceName(
        found.group("family"), int(count) if count else None, found.group("partition"), found.group("variant")
    )


def build_architecture(label: str, key: Optional[str] = None) -> str:
    """The architecture an image build is for, from its name."""
    text = f"{label} {key or ''}".lower()
    return "arm64" if ARM64_WORDS.search(text) else "x86_64"


Candidates = list[tuple[str, Queue]]


def route(needs: Needs, model: QueuesFile, build: BuildKind = "premerge") -> Union[Route, Unroutable]:
    found = _route(needs, [(name, q) for name, q in model.queues.items() if build in q.builds])
    if isinstance(found, Unroutable):
        # Say so when a queue could run it but serves other builds.
        elsewhere = _route(needs, list(model.queues.items()))
        if isinstance(elsewhere, Route):
            builds = ", ".join(model.queues[elsewhere.queue].builds)
            return Unroutable(f"{found.reason}; {elsewhere.queue} could run it but serves {builds} builds, not {build}")
    return found


def _route(needs: Needs, serving: Candidates) -> Union[Route, Unroutable]:
    for name, queue in serving:
        if needs.label in queue.routing.labels:
            return _fits(name, queue, needs, f"label pinned by {name}")
    if needs.builder:
        builders = [(name, q) for name, q in serving if kind_of(q).builds_images(q)]
        for name, queue in builders:
            if queue.architecture == needs.architecture:
                return Route(name, f"image builder (aws.builder) for {needs.architecture}")
        if builders:
            return Unroutable(f"no {needs.architecture} queue has aws.builder: true to build images")
        return Unroutable("no AWS queue has aws.builder: true to build images")
    if needs.device is not None:
        for name, queue in serving:
            if needs.device in queue.routing.devices:
                return _fits(name, queue, needs, f"device {needs.device}")
        if needs.device == CPU_DEVICE:
            return _general(dataclasses.replace(needs, accelerator=None, count=0, device=None), serving)
        found = _by_description(needs, serving)
        if found is not None or needs.hardware is None:
            return found or Unroutable(
                f"no queue offers device {needs.device!r} (queues.yaml: accelerator.type or family)"
            )
    if needs.hardware is not None:
        for name, queue in serving:
            if needs.hardware in queue.routing.hardware:
                return _fits(name, queue, needs, f"hardware {needs.hardware}")
        return Unroutable(f"no queue lists hardware {needs.hardware!r} in routing.hardware")
    return _general(needs, serving)


def _by_description(needs: Needs, serving: Candidates) -> Optional[Union[Route, Unroutable]]:
    """A device read as the family, count, partition or variant its name describes."""
    assert needs.device is not None
    whole_name = [(name, q) for name, q in serving if q.device_family == needs.device]
    if whole_name:
        return _fewest(needs, _general_first(whole_name), needs.device, max(needs.count, 1), f"device {needs.device}")
    described = device_name(needs.device)
    if described is None:
        return None
    family = [(name, q) for name, q in serving if q.device_family == described.family]
    if not family:
        return None
    if described.partition is not None:
        for name, queue in family:
            if queue.accelerator and queue.accelerator.partition == described.partition:
                return Route(name, f"device {needs.device}: {described.family} partition {described.partition}")
        return Unroutable(
            f"device {needs.device!r}: no queue offers {described.family} with partition {described.partition}"
        )
    # A variant the family offers decides; otherwise any queue of the family that takes
    # whatever fits (routing.general), so that `cpu-large` never lands on the bootstrap queue.
    variant = [(name, q) for name, q in family if described.variant is not None and q.variant == described.variant]
    family = variant or _general_first(family)
    # The count a name gives is what the step asks for (`mi325_2`: 2 per agent).
    wanted = described.count or max(needs.count, 1)
    return _fewest(needs, family, described.family, wanted, f"device {needs.device}")


def _general_first(candidates: Candidates) -> Candidates:
    """The general queues among `candidates` (routing.general), if any; else all of them."""
    return [(name, q) for name, q in candidates if q.routing.general] or candidates


def _fewest(needs: Needs, offering: Candidates, family: str, wanted: int, rule: str) -> Union[Route, Unroutable]:
    """Among queues of one family: exactly `wanted` per agent, else the fewest that fit; whole GPUs, plain variant first."""
    whole = [(name, q) for name, q in offering if q.accelerator is None or q.accelerator.partition is None]
    if not whole:  # only partitioned queues have no whole GPUs: each has an accelerator
        example = next(q.accelerator.partition for _, q in offering if q.accelerator)
        return Unroutable(f"{rule}: every queue of {family} offers GPU partitions; name one (e.g. {family}_{example})")
    plain = [(name, q) for name, q in whole if q.variant is None] or whole
    if all(q.accelerator is None for _, q in plain):
        return Route(plain[0][0], rule)
    counted = [(name, q.accelerator.count) for name, q in plain if q.accelerator is not None]
    exact = [name for name, count in counted if count == wanted]
    if exact:
        return Route(exact[0], f"{rule}: {wanted} x {family} per agent")
    fitting = [(name, count) for name, count in counted if count >= wanted]
    if fitting:
        name, count = min(fitting, key=lambda item: item[1])
        return Route(name, f"{rule}: {family}, fewest per agent that fit ({count})")
    largest = max(count for _, count in counted)
    return Unroutable(f"{rule}: no queue offers {wanted} x {family} per agent (at most {largest})")


def _fits(name: str, queue: Queue, needs: Needs, rule: str) -> Union[Route, Unroutable]:
    if queue.accelerator is not None and needs.count > queue.accelerator.count:
        return Unroutable(
            f"{rule} sends it to {name}, which offers {queue.accelerator.count} per agent; it needs {needs.count}"
        )
    return Route(name, rule)


def _general(needs: Needs, serving: Candidates) -> Union[Route, Unroutable]:
    general = [(name, q) for name, q in serving if q.routing.general]
    if needs.accelerator is None:
        for name, queue in general:
            if queue.accelerator is None and queue.family is None and queue.variant is None:
                return Route(name, "CPU only")
        for name, queue in general:
            if queue.accelerator is None and queue.family is None:
                return Route(name, "CPU only")
        return Unroutable("no general queue without accelerators runs CPU-only steps")
    offering = [
        (name, q.accelerator.count)
        for name, q in general
        if q.accelerator and q.accelerator.type == needs.accelerator and q.accelerator.partition is None
    ]
    fitting = [(name, count) for name, count in offering if count >= needs.count]
    if fitting:
        # min() keeps the first of equals: ties go to the first declared queue.
        name, _ = min(fitting, key=lambda item: item[1])
        return Route(name, f"{needs.count} x {needs.accelerator}: fewest per agent that fit")
    if offering:
        largest = max(count for _, count in offering)
        return Unroutable(
            f"needs {needs.count} x {needs.accelerator} on one host; general queues offer at most {largest}"
        )
    return Unroutable(f"no general queue offers accelerator {needs.accelerator!r}")
