"""The registry of hosting kinds: each queue has exactly one of these sections.

A kind is a unit of its own (`hostings/<kind>/`: its section, its rules and
its HostingKind); this file lists them twice, side by side: as the optional
sections of a queue (`Hostings`, which the queue model extends) and as the
kinds the rules, the summary and the generator ask (`KINDS`). Adding a kind
is its unit plus a line in each list here; its infrastructure lives in
constructs_lib/infra/hostings/<kind>.py (add_stacks, found by the key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from pydantic import Field

from constructs_lib.queues.fields import Strict
from constructs_lib.queues.hostings import aws, external, kubernetes, tpu
from constructs_lib.queues.hostings.aws.section import AwsQueue
from constructs_lib.queues.hostings.external.section import ExternalQueue
from constructs_lib.queues.hostings.kind import HostingKind
from constructs_lib.queues.hostings.kubernetes.section import KubernetesQueue
from constructs_lib.queues.hostings.tpu.section import TpuFleet

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue


class Hostings(Strict):
    """The hosting sections of a queue (the loader checks that exactly one is given)."""

    aws: Optional[AwsQueue] = Field(None, description="Hosted by an Elastic CI Stack on AWS.")
    tpu: Optional[TpuFleet] = Field(None, description="Hosted by a TPU fleet on GCP.")
    kubernetes: Optional[KubernetesQueue] = Field(None, description="Hosted on Kubernetes.")
    external: Optional[ExternalQueue] = Field(None, description="Hosted elsewhere.")


KINDS: tuple[HostingKind, ...] = (aws.KIND, tpu.KIND, kubernetes.KIND, external.KIND)
BY_KEY = {kind.key: kind for kind in KINDS}
HOSTINGS = tuple(BY_KEY)


def kind_of(queue: Queue) -> HostingKind:
    """The kind of a loaded queue (the loader has checked it has exactly one)."""
    return BY_KEY[queue.hosting]
