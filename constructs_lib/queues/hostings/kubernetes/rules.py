"""Rules of queues.yaml about Kubernetes queues: the helm releases of their agent stacks on the GKE cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from constructs_lib.queues.findings import Finding
from constructs_lib.queues.hostings.kubernetes import names
from constructs_lib.queues.hostings.kubernetes.gke import queues_on_gke

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def helm_releases(model: QueuesFile) -> Iterator[Finding]:
    """agent-stack-k8s releases of the GKE-hosted queues: DNS labels of at most 53, one per queue."""
    owners: dict[str, str] = {}
    for name in queues_on_gke(model):
        release = names.helm_release(name)
        if len(release) > names.MAX_HELM_RELEASE:
            yield (
                ("queues", name),
                f"gives the helm release name {release} ({len(release)} characters; helm's limit is {names.MAX_HELM_RELEASE})",
            )
        other = owners.setdefault(release, name)
        if other != name:
            yield (
                ("queues", name),
                f"gives the helm release name {release}, as queue {other} does (names are lower-cased, '_' made '-'); rename one",
            )


RULES = (helm_releases,)
