"""The TPU stack: snapshot, plus assertions a refreshed snapshot cannot hide."""

from __future__ import annotations

import json
import re

import pytest

from constructs_lib.infra.gcp import startup_script
from constructs_lib.queues import gcp_names as names
from tests.constructs_lib.infra.gcp.boots import agent_boot
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources

REF = re.compile(r"^\$\{([a-z0-9_]+)\.([^.}]+)\.")


def ref(expression: str) -> tuple[str, str]:
    """('google_compute_disk', 'logical_id') of a ${type.id.attr} reference."""
    match = REF.match(expression)
    assert match, expression
    return match.group(1), match.group(2)


def by_name(stack: dict, kind: str) -> dict[str, dict]:
    return {r["name"]: r for r in resources(stack, kind).values()}


def logical_ids(stack: dict, kind: str) -> dict[str, str]:
    return {r["name"]: key for key, r in resources(stack, kind).items()}


def test_snapshot(default_stacks, snapshot):
    assert default_stacks["gcp-tpu"] == snapshot


def test_eight_tpu_nodes_each_paired_with_an_agent_host(default_stacks):
    stack = default_stacks["gcp-tpu"]
    tpus = by_name(stack, "google_tpu_node")
    hosts = by_name(stack, "google_compute_instance")
    disks = by_name(stack, "google_compute_disk")
    expected = [f"bk-tpu-{i}" for i in range(8)]
    assert sorted(tpus) == expected
    assert sorted(hosts) == [f"{t}-host" for t in expected]
    assert sorted(disks) == [f"{t}-data" for t in expected]
    assert not resources(stack, "google_tpu_v2_vm")
    tpu_ids = logical_ids(stack, "google_tpu_node")
    disk_ids = logical_ids(stack, "google_compute_disk")
    cidrs = set()
    for index, name in enumerate(expected):
        tpu, host, disk = tpus[name], hosts[f"{name}-host"], disks[f"{name}-data"]
        assert (tpu["accelerator_type"], tpu["tensorflow_version"], tpu["zone"]) == (
            "v3-8",
            "pytorch-2.0",
            "us-central1-a",
        )
        assert tpu["cidr_block"] == f"10.30.0.{index * 8}/29"
        cidrs.add(tpu["cidr_block"])
        assert tpu["use_service_networking"] is False
        assert ref(tpu["network"])[0] == "google_compute_network"
        # The host sits next to its TPU, knows its address and mounts its SSD.
        assert host["zone"] == tpu["zone"]
        assert ref(host["metadata"]["tpu-ip-address"]) == ("google_tpu_node", tpu_ids[name])
        assert host["metadata"]["tpu-ip-address"].endswith(".network_endpoints[0].ip_address}")
        (attached,) = host["attached_disk"]
        assert ref(attached["source"]) == ("google_compute_disk", disk_ids[f"{name}-data"])
        assert attached["device_name"] == "docker-data" and attached["mode"] == "READ_WRITE"
        assert (disk["type"], disk["size"], disk["zone"]) == ("pd-ssd", 500, "us-central1-a")
        assert host["labels"] == tpu["labels"] == {"buildkite-queue": "tpu"}
    assert len(cidrs) == 8


def test_agent_hosts_are_private_shielded_and_boot_the_agent_for_their_tpu(default_stacks):
    stack = default_stacks["gcp-tpu"]
    (agents_sa,) = resources(stack, "google_service_account")
    for name, host in by_name(stack, "google_compute_instance").items():
        tpu = name.removesuffix("-host")
        assert host["machine_type"] == "e2-standard-4"
        assert host["boot_disk"]["initialize_params"]["image"] == "debian-cloud/debian-12"
        (nic,) = host["network_interface"]
        assert "access_config" not in nic, "agent hosts have no external IP"
        assert host["shielded_instance_config"] == {
            "enable_secure_boot": True,
            "enable_vtpm": True,
            "enable_integrity_monitoring": True,
        }
        assert host["service_account"]["email"] == f"${{google_service_account.{agents_sa}.email}}"
        metadata = host["metadata"]
        assert set(metadata) == {
            "startup-script",
            "enable-oslogin",
            "block-project-ssh-keys",
            "serial-port-enable",
            "tpu-ip-address",
        }
        # The default file signs pipelines and rolls verification out with warn.
        boot = agent_boot(
            queue="tpu",
            tpu=tpu,
            zone="us-central1-a",
            accelerator_type="v3-8",
            architecture="node",
            verification=("buildkite-verification-jwks", "warn"),
        )
        assert metadata["startup-script"] == startup_script.for_terraform(startup_script.render(boot))
        # Agents boot only once they may read their secrets, and their boot disk once Compute Engine may use its key.
        secret_grants = [
            f"google_secret_manager_secret_iam_member.{k}"
            for k in resources(stack, "google_secret_manager_secret_iam_member")
        ]
        (key_grant,) = [
            f"google_kms_crypto_key_iam_member.{k}" for k in resources(stack, "google_kms_crypto_key_iam_member")
        ]
        assert sorted(host["depends_on"]) == sorted(secret_grants + [key_grant])


def disk_keys(stack: dict) -> dict[str, tuple[str, str]]:
    """Region -> (`${google_kms_crypto_key.<id>.id}` of its disk key, the address of that key's one grant)."""
    rings = {f"${{google_kms_key_ring.{k}.id}}": r for k, r in resources(stack, "google_kms_key_ring").items()}
    grants = {
        g["crypto_key_id"]: f"google_kms_crypto_key_iam_member.{k}"
        for k, g in resources(stack, "google_kms_crypto_key_iam_member").items()
    }
    out = {}
    for key_id, key in resources(stack, "google_kms_crypto_key").items():
        ring = rings[key["key_ring"]]
        key_ref = f"${{google_kms_crypto_key.{key_id}.id}}"
        out[ring["location"]] = (key_ref, grants[key_ref])
    assert len(grants) == len(out) == len(rings), "one key ring, one key and one grant per region"
    return out


@pytest.mark.parametrize(
    "stacks, regions", [("default_stacks", ["us-central1"]), ("all_feature_stacks", ["us-central1", "us-east5"])]
)
def test_every_disk_is_encrypted_with_its_regions_cloud_kms_key(stacks, regions, request):
    stack = request.getfixturevalue(stacks)["gcp-tpu"]
    keys = disk_keys(stack)
    assert sorted(keys) == regions
    for ring in resources(stack, "google_kms_key_ring").values():
        assert ring["name"] == f"buildkite-agents-{ring['location']}" and ring["project"] == "vllm-ci-infra"
    for key in resources(stack, "google_kms_crypto_key").values():
        assert (key["name"], key["purpose"]) == ("agent-disks", "ENCRYPT_DECRYPT")
        assert key["rotation_period"] == f"{90 * 86400}s"
        assert key["lifecycle"] == {"prevent_destroy": True}
    # Compute Engine's service agent of the project, found by number, may use each key: that and nothing else.
    ((project_id, project),) = data_sources(stack, "google_project").items()
    assert project["project_id"] == "vllm-ci-infra"
    agent = (
        f"serviceAccount:service-${{data.google_project.{project_id}.number}}@compute-system.iam.gserviceaccount.com"
    )
    for grant in resources(stack, "google_kms_crypto_key_iam_member").values():
        assert (grant["role"], grant["member"]) == ("roles/cloudkms.cryptoKeyEncrypterDecrypter", agent)
    for kind in (
        "google_kms_crypto_key_iam_binding",
        "google_kms_crypto_key_iam_policy",
        "google_kms_key_ring_iam_member",
    ):
        assert not resources(stack, kind), kind
    disks = resources(stack, "google_compute_disk").values()
    hosts = resources(stack, "google_compute_instance").values()
    assert disks and hosts
    for disk in disks:
        key, grant = keys[names.zone_region(disk["zone"])]
        assert disk["disk_encryption_key"] == {"kms_key_self_link": key}, disk["name"]
        assert grant in disk["depends_on"], disk["name"]
    for host in hosts:
        key, grant = keys[names.zone_region(host["zone"])]
        assert host["boot_disk"]["kms_key_self_link"] == key, host["name"]
        assert grant in host["depends_on"], host["name"]
    # Never a customer-supplied key: its raw bytes would sit in the plan and the state.
    text = json.dumps(stack)
    for attribute in ("raw_key", "rsa_encrypted_key", "disk_encryption_key_raw", "disk_encryption_key_rsa"):
        assert f'"{attribute}"' not in text


def test_agents_read_exactly_their_secrets(default_stacks):
    stack = default_stacks["gcp-tpu"]
    secrets = resources(stack, "google_secret_manager_secret")
    # Their cluster's agent token, the HF token, and the public key that verifies signed jobs.
    assert sorted(s["secret_id"] for s in secrets.values()) == [
        "buildkite-agent-token",
        "buildkite-verification-jwks",
        "hf-token",
    ]
    assert not resources(stack, "google_secret_manager_secret_version"), "values are added out of band"
    (sa_id,) = resources(stack, "google_service_account")
    member = f"serviceAccount:${{google_service_account.{sa_id}.email}}"
    grants = resources(stack, "google_secret_manager_secret_iam_member").values()
    assert sorted(ref(g["secret_id"])[1] for g in grants) == sorted(secrets)
    assert all(g["role"] == "roles/secretmanager.secretAccessor" and g["member"] == member for g in grants)
    project_roles = sorted(r["role"] for r in resources(stack, "google_project_iam_member").values())
    assert project_roles == ["roles/logging.logWriter", "roles/monitoring.metricWriter"]
    for kind in ("google_project_iam_binding", "google_project_iam_policy", "google_secret_manager_secret_iam_binding"):
        assert not resources(stack, kind), kind


def test_network_is_private_with_nat(default_stacks):
    stack = default_stacks["gcp-tpu"]
    (network,) = resources(stack, "google_compute_network").values()
    assert network["auto_create_subnetworks"] is False
    (subnet,) = resources(stack, "google_compute_subnetwork").values()
    assert (subnet["region"], subnet["ip_cidr_range"], subnet["private_ip_google_access"]) == (
        "us-central1",
        "10.40.0.0/20",
        True,
    )
    (nat,) = resources(stack, "google_compute_router_nat").values()
    assert nat["source_subnetwork_ip_ranges_to_nat"] == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    # No ingress is opened; the one rule denies all of it, explicitly.
    (firewall,) = resources(stack, "google_compute_firewall").values()
    assert (firewall["direction"], firewall["source_ranges"], firewall["deny"]) == (
        "INGRESS",
        ["0.0.0.0/0"],
        [{"protocol": "all"}],
    )
    assert "allow" not in firewall


def test_remote_state_in_gcs(default_stacks):
    terraform = default_stacks["gcp-tpu"]["terraform"]
    assert terraform["backend"] == {"gcs": {"bucket": "vllm-ci-terraform-state-gcp", "prefix": "gcp-tpu"}}
    assert terraform["required_providers"] == {"google": {"source": "google", "version": "6.50.0"}}


def test_tpu_vm_variant_runs_the_agent_on_the_tpu_vm(all_feature_stacks):
    stack = all_feature_stacks["gcp-tpu"]
    vms = {r["name"]: r for r in resources(stack, "google_tpu_v2_vm").values()}
    assert sorted(vms) == ["bk-tpu-v6e-0", "bk-tpu-v6e-1", "bk-tpu-v6e-2"]
    # The node fleet of the same file still gets its hosts; the VM fleet gets none.
    assert sorted(by_name(stack, "google_compute_instance")) == ["bk-tpu-0-host", "bk-tpu-1-host"]
    assert stack["terraform"]["required_providers"]["google-beta"] == {
        "source": "hashicorp/google-beta",
        "version": "6.50.0",
    }
    (beta,) = stack["provider"]["google-beta"]
    assert (beta["project"], beta["region"]) == ("vllm-ci-infra", "us-central1")
    disks = by_name(stack, "google_compute_disk")
    disk_ids = logical_ids(stack, "google_compute_disk")
    (sa_id,) = resources(stack, "google_service_account")
    subnets = {r["region"]: k for k, r in resources(stack, "google_compute_subnetwork").items()}
    (network_id,) = resources(stack, "google_compute_network")
    grants = sorted(
        f"google_secret_manager_secret_iam_member.{k}"
        for k in resources(stack, "google_secret_manager_secret_iam_member")
    )
    for name, vm in vms.items():
        script = vm["metadata"]["startup-script"]
        boot = agent_boot(queue="tpu_v6e", tpu=name, zone="us-east5-b", accelerator_type="v6e-1", architecture="vm")
        assert script == startup_script.for_terraform(startup_script.render(boot))
        assert (disks[f"{name}-data"]["type"], disks[f"{name}-data"]["size"]) == ("hyperdisk-balanced", 2048)
        # The synthesized shape, attribute names as the google-beta docs of google_tpu_v2_vm give them.
        shape = {k: v for k, v in vm.items() if k not in ("//", "metadata")}
        assert shape == {
            "provider": "google-beta",
            "name": name,
            "zone": "us-east5-b",
            "description": "Buildkite agent TPU VM (queue tpu_v6e)",
            "accelerator_type": "v6e-1",
            "runtime_version": "v2-alpha-tpuv6e",
            "network_config": {
                "network": f"${{google_compute_network.{network_id}.id}}",
                "subnetwork": f"${{google_compute_subnetwork.{subnets['us-east5']}.id}}",
                "enable_external_ips": False,
                "can_ip_forward": False,
            },
            "service_account": {
                "email": f"${{google_service_account.{sa_id}.email}}",
                "scope": ["https://www.googleapis.com/auth/cloud-platform"],
            },
            "data_disks": [
                {"source_disk": f"${{google_compute_disk.{disk_ids[name + '-data']}.id}}", "mode": "READ_WRITE"}
            ],
            "scheduling_config": {"preemptible": True},
            "labels": {"buildkite-queue": "tpu_v6e"},
            "tags": ["buildkite-agent"],
            "depends_on": grants,
        }
        assert set(vm["metadata"]) == {
            "startup-script",
            "enable-oslogin",
            "block-project-ssh-keys",
            "serial-port-enable",
        }


def test_tpu_vm_attributes_are_those_of_the_google_beta_docs(all_feature_stacks):
    """Every attribute written is one the google-beta documentation of google_tpu_v2_vm lists."""
    documented = {
        "name", "zone", "runtime_version", "accelerator_type", "description", "cidr_block", "network_config",
        "service_account", "scheduling_config", "data_disks", "shielded_instance_config", "accelerator_config",
        "labels", "metadata", "tags", "project",
    }  # fmt: skip
    nested = {
        "network_config": {"network", "subnetwork", "enable_external_ips", "can_ip_forward"},
        "service_account": {"email", "scope"},
        "scheduling_config": {"preemptible", "reserved"},
        "data_disks": {"source_disk", "mode"},
    }
    meta = {"//", "provider", "depends_on"}
    for vm in resources(all_feature_stacks["gcp-tpu"], "google_tpu_v2_vm").values():
        assert set(vm) - meta <= documented
        for block, keys in nested.items():
            value = vm.get(block)
            for item in value if isinstance(value, list) else [value] if value else []:
                assert set(item) <= keys, block


def test_two_regions_get_two_subnets_each_with_nat(all_feature_stacks):
    stack = all_feature_stacks["gcp-tpu"]
    subnets = {r["region"]: r["ip_cidr_range"] for r in resources(stack, "google_compute_subnetwork").values()}
    assert subnets == {"us-central1": "10.40.0.0/20", "us-east5": "10.41.0.0/20"}
    assert sorted(r["region"] for r in resources(stack, "google_compute_router_nat").values()) == [
        "us-central1",
        "us-east5",
    ]


def test_no_gke_stack_by_default(default_stacks):
    assert {"gcp-state", "gcp-tpu"} <= set(default_stacks)
    assert "gcp-gke" not in default_stacks
    assert not any("google_container_cluster" in s.get("resource", {}) for s in default_stacks.values())
