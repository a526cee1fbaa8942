"""GkeCluster and GkeNodePool: a private, shielded cluster with Workload Identity, and a pool per queue that asks for one."""

from __future__ import annotations

from constructs_lib.infra.gcp.gke_cluster import GkeCluster
from constructs_lib.infra.gcp.gke_node_pool import GkeNodePool
from constructs_lib.queues.model import Gke
from constructs_lib.queues.model import GkeNodePool as GkeNodePoolSpec
from tests.constructs_lib.infra.construct_synth import of_type, synth

GKE = Gke.model_validate(
    {"name": "ci", "region": "us-central1", "authorized_networks": ["203.0.113.0/24"]}, strict=False
)
POOL = GkeNodePoolSpec.model_validate(
    {
        "queue": "gke-l4-1",
        "machine_type": "g2-standard-12",
        "accelerator_type": "nvidia-l4",
        "accelerator_count": 1,
        "min_nodes": 0,
        "max_nodes": 4,
        "zones": ["us-central1-a"],
    },
    strict=False,
)


def build(stack):
    cluster = GkeCluster(
        stack,
        "c",
        project="acme-ci-1234",
        gke=GKE,
        network="net",
        subnetwork="sub",
        node_service_account_email="nodes@acme",
    )
    GkeNodePool(stack, "p", cluster=cluster, name="l4-x1", pool=POOL, node_service_account_email="nodes@acme")
    return cluster


def test_the_cluster_is_private_shielded_and_reachable_only_from_the_listed_networks():
    stack, _ = synth(build, provider="google")
    (cluster,) = of_type(stack, "google_container_cluster")
    assert cluster["private_cluster_config"]["enable_private_nodes"] is True
    assert cluster["deletion_protection"] is True and cluster["enable_shielded_nodes"] is True
    assert cluster["workload_identity_config"] == {"workload_pool": "acme-ci-1234.svc.id.goog"}
    networks = cluster["master_authorized_networks_config"]
    assert [c["cidr_block"] for c in networks["cidr_blocks"]] == ["203.0.113.0/24"]
    assert networks["gcp_public_cidrs_access_enabled"] is False
    assert cluster["remove_default_node_pool"] is True and cluster["enable_legacy_abac"] is False


def test_a_pool_carries_its_queues_label_and_its_gpus():
    stack, _ = synth(build, provider="google")
    (pool,) = of_type(stack, "google_container_node_pool")
    config = pool["node_config"]
    assert config["labels"] == {"buildkite-queue": "gke-l4-1"}
    assert config["guest_accelerator"][0]["type"] == "nvidia-l4" and config["guest_accelerator"][0]["count"] == 1
    assert config["service_account"] == "nodes@acme" and config["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    assert pool["autoscaling"]["total_max_node_count"] == 4 and pool["node_locations"] == ["us-central1-a"]
