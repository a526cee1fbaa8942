"""BuildkiteCluster: one cluster of the organization and a cluster queue for each of its queues.

An agent connects only to a queue its cluster defines: every queue of
queues.yaml, whatever hosts it (AWS, TPU, Kubernetes, external), has its
cluster queue here, so a queue added to the file exists in Buildkite after
the same synth. The cluster's agent tokens are not made here: the provider's
token resource keeps the token in the state (README: Tokens and signing keys).
"""

from __future__ import annotations

from typing import Any, Mapping

from constructs import Construct

from constructs_lib.infra.jsii.providers import generic_resource
from constructs_lib.queues.model import Cluster, Queue


class BuildkiteCluster(Construct):
    def __init__(
        self, scope: Construct, id: str, *, provider: Any, name: str, cluster: Cluster, queues: Mapping[str, Queue]
    ):
        super().__init__(scope, id)
        attributes: dict[str, Any] = {"name": name}
        attributes.update(
            {key: value for key in ("description", "emoji", "color") if (value := getattr(cluster, key)) is not None}
        )
        self.cluster = generic_resource(
            self, "cluster", resource_type="buildkite_cluster", provider=provider, attributes=attributes
        )
        self.id: str = self.cluster.get_string_attribute("id")
        self.queues = {
            queue_name: generic_resource(
                self,
                f"queue-{queue_name}",
                resource_type="buildkite_cluster_queue",
                provider=provider,
                attributes=queue_attributes(self.id, queue_name, queue),
            )
            for queue_name, queue in queues.items()
        }


def queue_attributes(cluster_id: str, name: str, queue: Queue) -> dict[str, Any]:
    """A cluster queue's attributes: its key is the queue's name, the `queue=` tag its agents start with."""
    attributes: dict[str, Any] = {
        "cluster_id": cluster_id,
        "key": name,
        "dispatch_paused": queue.buildkite.dispatch_paused,
    }
    if queue.description:
        attributes["description"] = queue.description[:100]
    if queue.buildkite.retry_agent_affinity is not None:
        attributes["retry_agent_affinity"] = queue.buildkite.retry_agent_affinity
    return attributes
