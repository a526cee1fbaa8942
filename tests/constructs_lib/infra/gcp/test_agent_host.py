"""AgentHost: the VM that runs a TPU Node's agent: private, shielded, encrypted, booting the agent's script."""

from __future__ import annotations

from constructs_lib.infra.gcp import startup_script
from constructs_lib.infra.gcp.agent_host import AgentHost
from tests.constructs_lib.infra.construct_synth import of_type, synth
from tests.constructs_lib.infra.gcp.boots import agent_boot

BOOT = agent_boot(queue="tpu", tpu="bk-tpu-0", zone="us-central1-a", accelerator_type="v3-8", architecture="node")


def test_the_host_is_private_shielded_and_boots_the_agent_of_its_tpu():
    stack, _ = synth(
        lambda s: AgentHost(
            s,
            "h",
            boot=BOOT,
            machine_type="e2-standard-4",
            image="debian-cloud/debian-12",
            subnetwork="sub",
            service_account_email="agents@acme",
            data_disk="disk",
            kms_key="key",
            tpu_ip_address="10.0.0.2",
            labels={"buildkite-queue": "tpu"},
        ),
        provider="google",
    )
    (host,) = of_type(stack, "google_compute_instance")
    assert host["name"] == "bk-tpu-0-host" and host["can_ip_forward"] is False
    (nic,) = host["network_interface"]
    assert nic == {"subnetwork": "sub"}, "no external address"
    assert host["boot_disk"]["kms_key_self_link"] == "key"
    assert host["attached_disk"] == [{"device_name": "docker-data", "mode": "READ_WRITE", "source": "disk"}]
    assert host["shielded_instance_config"] == {
        "enable_integrity_monitoring": True,
        "enable_secure_boot": True,
        "enable_vtpm": True,
    }
    assert host["service_account"]["email"] == "agents@acme"
    metadata = host["metadata"]
    assert metadata["startup-script"] == startup_script.for_terraform(startup_script.render(BOOT))
    assert metadata["tpu-ip-address"] == "10.0.0.2" and metadata["block-project-ssh-keys"] == "TRUE"
