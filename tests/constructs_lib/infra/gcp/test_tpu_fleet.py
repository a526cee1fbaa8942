"""TpuFleet: one TPU per count, each with an encrypted data disk and an agent (a host VM for a TPU Node)."""

from __future__ import annotations

from constructs_lib.infra.gcp.disk_encryption import DiskEncryption
from constructs_lib.infra.gcp.private_network import PrivateNetwork, SubnetSpec
from constructs_lib.infra.gcp.tpu_fleet import TpuFleet
from constructs_lib.queues.model import TpuFleet as TpuFleetSpec
from tests.constructs_lib.infra.construct_synth import of_type, synth

NODES = TpuFleetSpec.model_validate(
    {
        "count": 2,
        "zone": "us-central1-a",
        "accelerator_type": "v3-8",
        "software_version": "pytorch-2.0",
        "cidr_block": "10.41.0.0/28",
    },
    strict=False,
)


def build(stack):
    network = PrivateNetwork(stack, "n", name="agents", subnets={"us-central1": SubnetSpec("10.40.0.0/20")})
    keys = DiskEncryption(stack, "d", project="acme-ci-1234", network="agents", regions=["us-central1"], labels={})
    return TpuFleet(
        stack,
        "f",
        project="acme-ci-1234",
        queue_name="tpu",
        fleet=NODES,
        agent_token_secret="tok",
        hf_token_secret="hf",
        network=network.network,
        subnetwork_id="sub",
        service_account_email="agents@acme",
        disk_key=keys.keys["us-central1"],
    )


def test_each_tpu_node_has_an_encrypted_disk_and_an_agent_host():
    stack, fleet = synth(build, provider="google")
    assert fleet.tpu_names == ["bk-tpu-0", "bk-tpu-1"]
    nodes = of_type(stack, "google_tpu_node")
    assert sorted(n["name"] for n in nodes) == fleet.tpu_names
    assert sorted(n["cidr_block"] for n in nodes) == ["10.41.0.0/29", "10.41.0.8/29"]
    disks = of_type(stack, "google_compute_disk")
    assert len(disks) == 2 and all(
        d["disk_encryption_key"]["kms_key_self_link"].startswith("${google_kms_crypto_key.") for d in disks
    )
    hosts = of_type(stack, "google_compute_instance")
    assert sorted(h["name"] for h in hosts) == ["bk-tpu-0-host", "bk-tpu-1-host"]
