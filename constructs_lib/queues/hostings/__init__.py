"""The registry of hosting kinds: each queue has exactly one of these sections.

A kind is a unit of its own (`hostings/<kind>/`: its section and the mixin
that puts it on a queue, its rules and its HostingKind). The bases of
`Hostings` below are the list of kinds: the queue model extends it, and the
rules, the summary and the generator ask `KINDS`, found from it by key.
Adding a kind is its unit plus its base here; its infrastructure lives in
constructs_lib/infra/hostings/<kind>.py (add_stacks, found by the key).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from constructs_lib.queues.hostings.aws.section import AwsHosted
from constructs_lib.queues.hostings.external.section import ExternalHosted
from constructs_lib.queues.hostings.kind import HostingKind
from constructs_lib.queues.hostings.kubernetes.section import KubernetesHosted
from constructs_lib.queues.hostings.tpu.section import TpuHosted

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue


# The registry: one base per hosting kind. pydantic takes a class's fields from its last base first,
# so the kinds are listed last to first and read aws, tpu, kubernetes, external (the loader checks
# that a queue gives exactly one of them).
class Hostings(ExternalHosted, KubernetesHosted, TpuHosted, AwsHosted):
    """The hosting sections of a queue."""


HOSTINGS: tuple[str, ...] = tuple(Hostings.model_fields)
# Each kind's HostingKind, from its unit (constructs_lib.queues.hostings.<key>).
KINDS: tuple[HostingKind, ...] = tuple(importlib.import_module(f"{__name__}.{key}").KIND for key in HOSTINGS)
BY_KEY = {kind.key: kind for kind in KINDS}


def kind_of(queue: Queue) -> HostingKind:
    """The kind of a loaded queue (the loader has checked it has exactly one)."""
    return BY_KEY[queue.hosting]
