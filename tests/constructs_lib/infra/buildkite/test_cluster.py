"""BuildkiteCluster: a cluster and the cluster queue of each of its queues."""

from __future__ import annotations

from constructs_lib.infra.buildkite.cluster import BuildkiteCluster
from constructs_lib.infra.jsii.providers import generic_provider
from constructs_lib.queues.model import Cluster, Queue, QueueInBuildkite
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_each_queue_is_a_cluster_queue_of_the_cluster():
    queues = {
        "gpu": Queue.model_validate({"description": "GPUs", "external": {}}, strict=False),
        "drained": Queue.model_validate(
            {
                "external": {},
                "buildkite": QueueInBuildkite(
                    dispatch_paused=True, retry_agent_affinity="prefer-different"
                ).model_dump(),
            },
            strict=False,
        ),
    }

    def build(stack):
        provider = generic_provider(stack, "buildkite", name="buildkite", organization="acme")
        return BuildkiteCluster(
            stack, "c", provider=provider, name="ci", cluster=Cluster(description="CI", emoji=":rocket:"), queues=queues
        )

    stack, _ = synth(build, provider="none")
    (made,) = of_type(stack, "buildkite_cluster")
    assert (made["name"], made["description"], made["emoji"]) == ("ci", "CI", ":rocket:")
    by_key = {q["key"]: q for q in of_type(stack, "buildkite_cluster_queue")}
    assert set(by_key) == {"gpu", "drained"}
    (logical,) = stack["resource"]["buildkite_cluster"]
    assert all(q["cluster_id"] == f"${{buildkite_cluster.{logical}.id}}" for q in by_key.values())
    assert by_key["gpu"]["description"] == "GPUs" and by_key["gpu"]["dispatch_paused"] is False
    assert "retry_agent_affinity" not in by_key["gpu"]
    assert (
        by_key["drained"]["dispatch_paused"] is True and by_key["drained"]["retry_agent_affinity"] == "prefer-different"
    )
