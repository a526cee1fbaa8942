"""The optional GKE stack (fixture with GKE enabled): snapshot, plus assertions."""

from __future__ import annotations

from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES
from tests.constructs_lib.infra.stacks.synth_helpers import resources, synth_stacks


def test_snapshot(all_feature_stacks, snapshot):
    assert all_feature_stacks["gcp-gke"] == snapshot


def test_off_unless_enabled(default_stacks):
    assert "gcp-gke" not in default_stacks


def test_regional_private_cluster_with_secure_settings(all_feature_stacks):
    stack = all_feature_stacks["gcp-gke"]
    (cluster,) = resources(stack, "google_container_cluster").values()
    assert (cluster["name"], cluster["location"]) == ("vllm-ci", "us-central1")  # a region: a regional cluster
    assert cluster["remove_default_node_pool"] is True
    assert cluster["deletion_protection"] is True
    assert cluster["workload_identity_config"] == {"workload_pool": "vllm-ci-infra.svc.id.goog"}
    assert cluster["enable_shielded_nodes"] is True
    assert cluster["private_cluster_config"]["enable_private_nodes"] is True
    assert cluster["private_cluster_config"]["master_ipv4_cidr_block"] == "172.16.0.0/28"
    assert cluster["release_channel"] == {"channel": "STABLE"}
    assert cluster["enable_legacy_abac"] is False
    assert cluster["master_auth"] == {"client_certificate_config": {"issue_client_certificate": False}}
    assert cluster["master_authorized_networks_config"]["cidr_blocks"] == [
        {"cidr_block": "203.0.113.0/24", "display_name": "operators-0"}
    ]
    assert cluster["ip_allocation_policy"] == {
        "cluster_secondary_range_name": "pods",
        "services_secondary_range_name": "services",
    }
    assert (cluster["datapath_provider"], cluster["network_policy"]) == (
        "ADVANCED_DATAPATH",
        {"enabled": False},
    )  # Dataplane V2
    assert cluster["node_config"]["metadata"] == {"disable-legacy-endpoints": "true"}
    assert cluster["node_config"]["workload_metadata_config"] == {"mode": "GKE_METADATA"}
    grants = sorted(f"google_project_iam_member.{k}" for k in resources(stack, "google_project_iam_member"))
    assert sorted(cluster["depends_on"]) == grants


def test_binary_authorization_enforces_the_project_policy(all_feature_stacks):
    (cluster,) = resources(all_feature_stacks["gcp-gke"], "google_container_cluster").values()
    assert cluster["binary_authorization"] == {"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert "enable_binary_authorization" not in cluster  # the deprecated switch


def test_google_groups_for_rbac_only_when_queues_yaml_names_the_group(all_feature_stacks, tmp_path):
    (cluster,) = resources(all_feature_stacks["gcp-gke"], "google_container_cluster").values()
    assert cluster["authenticator_groups_config"] == {"security_group": "gke-security-groups@example.com"}
    line = "    rbac_security_group: gke-security-groups@example.com\n"
    text = ALL_FEATURES.read_text()
    assert line in text
    (without,) = resources(
        synth_stacks(text.replace(line, ""), tmp_path)["gcp-gke"], "google_container_cluster"
    ).values()
    assert "authenticator_groups_config" not in without
    assert without["binary_authorization"] == cluster["binary_authorization"]


def test_one_autoscaling_pool_per_queue_that_asks_for_one(all_feature_stacks):
    stack = all_feature_stacks["gcp-gke"]
    (cluster_id,) = resources(stack, "google_container_cluster")
    pools = {p["name"]: p for p in resources(stack, "google_container_node_pool").values()}
    assert sorted(pools) == ["a100", "cpu", "l4-x1", "l4-x4"]
    expected = {
        "l4-x1": ("gke-l4-1", "g2-standard-12", [("nvidia-l4", 1)], 0, 4, ["us-central1-a"]),
        "l4-x4": ("gke-l4-4", "g2-standard-48", [("nvidia-l4", 4)], 1, 6, ["us-central1-a", "us-central1-b"]),
        "a100": ("a100-queue", "a2-highgpu-8g", [("nvidia-tesla-a100", 8)], 0, 2, ["us-central1-b"]),
        "cpu": ("k8s-cpu", "n2-standard-16", [], 0, 10, ["us-central1-a", "us-central1-c"]),
    }
    (sa_id,) = resources(stack, "google_service_account")
    for name, (queue, machine, gpus, low, high, zones) in expected.items():
        pool = pools[name]
        config = pool["node_config"]
        assert pool["cluster"] == f"${{google_container_cluster.{cluster_id}.id}}"
        assert (pool["location"], pool["node_locations"]) == ("us-central1", zones)
        assert pool["autoscaling"]["total_min_node_count"] == low
        assert pool["autoscaling"]["total_max_node_count"] == high
        assert config["machine_type"] == machine
        assert [(g["type"], g["count"]) for g in config.get("guest_accelerator", [])] == gpus
        assert config["labels"] == {"buildkite-queue": queue}
        assert config["service_account"] == f"${{google_service_account.{sa_id}.email}}"
        assert config["metadata"] == {"disable-legacy-endpoints": "true"}
        assert config["workload_metadata_config"] == {"mode": "GKE_METADATA"}
        assert config["shielded_instance_config"] == {"enable_secure_boot": True, "enable_integrity_monitoring": True}
        assert pool["management"] == {"auto_repair": True, "auto_upgrade": True}


def test_dedicated_node_service_account_with_minimal_roles(all_feature_stacks):
    stack = all_feature_stacks["gcp-gke"]
    (account,) = resources(stack, "google_service_account").values()
    assert account["account_id"] == "bk-gke-nodes"
    roles = sorted(r["role"] for r in resources(stack, "google_project_iam_member").values())
    assert roles == ["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]


def test_network_ranges_and_remote_state(all_feature_stacks):
    stack = all_feature_stacks["gcp-gke"]
    (subnet,) = resources(stack, "google_compute_subnetwork").values()
    assert subnet["ip_cidr_range"] == "10.50.0.0/20"
    assert {r["range_name"]: r["ip_cidr_range"] for r in subnet["secondary_ip_range"]} == {
        "pods": "10.64.0.0/14",
        "services": "10.50.16.0/20",
    }
    assert len(resources(stack, "google_compute_router_nat")) == 1  # private nodes reach out through NAT
    assert stack["terraform"]["backend"] == {"gcs": {"bucket": "vllm-ci-terraform-state-gcp", "prefix": "gcp-gke"}}
