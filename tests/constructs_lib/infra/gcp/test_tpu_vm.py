"""TpuVm: a TPU VM that runs its own agent: no external address, the agents' account, the boot script."""

from __future__ import annotations

from constructs_lib.infra.gcp import startup_script
from constructs_lib.infra.gcp.tpu_vm import RESOURCE_TYPE, TpuVm
from constructs_lib.infra.jsii.providers import generic_provider
from tests.constructs_lib.infra.construct_synth import of_type, synth
from tests.constructs_lib.infra.gcp.boots import agent_boot

BOOT = agent_boot(queue="tpu_v6e", tpu="bk-tpu-v6e-0", zone="us-east5-b", accelerator_type="v6e-1", architecture="vm")


def build(preemptible: bool):
    def make(stack):
        beta = generic_provider(stack, "google-beta", name="google-beta", project="acme-ci-1234")
        return TpuVm(
            stack,
            "t",
            provider=beta,
            boot=BOOT,
            runtime_version="v2-alpha-tpuv6e",
            network="net",
            subnetwork="sub",
            service_account_email="agents@acme",
            data_disk="disk",
            preemptible=preemptible,
            labels={"buildkite-queue": "tpu-v6e"},
        )

    return make


def test_the_vm_is_private_and_boots_its_agent():
    stack, _ = synth(build(preemptible=False), provider="google")
    (vm,) = of_type(stack, RESOURCE_TYPE)
    assert vm["provider"] == "google-beta" and vm["name"] == "bk-tpu-v6e-0" and vm["accelerator_type"] == "v6e-1"
    assert vm["network_config"]["enable_external_ips"] is False and vm["network_config"]["can_ip_forward"] is False
    assert vm["service_account"]["email"] == "agents@acme"
    assert vm["data_disks"] == [{"mode": "READ_WRITE", "source_disk": "disk"}]
    assert vm["metadata"]["startup-script"] == startup_script.for_terraform(startup_script.render(BOOT))
    assert "scheduling_config" not in vm


def test_a_preemptible_vm_says_so():
    stack, _ = synth(build(preemptible=True), provider="google")
    (vm,) = of_type(stack, RESOURCE_TYPE)
    assert vm["scheduling_config"] == {"preemptible": True}
