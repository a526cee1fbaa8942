"""TpuVm: a TPU VM (google_tpu_v2_vm, google-beta) that runs its own agent.

The current TPU generations (v5e, v6e, v7x) exist only as TPU VMs. The
resource is in the google-beta provider, which has no prebuilt binding here
(see constructs_lib.infra.jsii.providers): the attributes below use the names of the
google-beta documentation for google_tpu_v2_vm, and a test pins the shape.
"""

from __future__ import annotations

from typing import Any

from cdktf import TerraformProvider
from constructs import Construct

from constructs_lib.infra.gcp.startup_script import AgentBoot, instance_metadata
from constructs_lib.infra.jsii.providers import generic_resource

RESOURCE_TYPE = "google_tpu_v2_vm"


class TpuVm(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider | None,
        boot: AgentBoot,
        runtime_version: str,
        network: str,
        subnetwork: str,
        service_account_email: str,
        data_disk: str,
        preemptible: bool,
        labels: dict[str, str],
        depends_on: list[Any] | None = None,
    ):
        super().__init__(scope, id)
        attributes = {
            "name": boot.tpu_name,
            "zone": boot.tpu_zone,
            "description": f"Buildkite agent TPU VM (queue {boot.queue})",
            "accelerator_type": boot.accelerator_type,
            "runtime_version": runtime_version,
            "network_config": {
                "network": network,
                "subnetwork": subnetwork,
                "enable_external_ips": False,
                "can_ip_forward": False,
            },
            "service_account": {
                "email": service_account_email,
                "scope": ["https://www.googleapis.com/auth/cloud-platform"],
            },
            "data_disks": [{"source_disk": data_disk, "mode": "READ_WRITE"}],
            "metadata": instance_metadata(boot),
            "labels": labels,
            "tags": ["buildkite-agent"],
        }
        if preemptible:
            attributes["scheduling_config"] = {"preemptible": True}
        self.vm = generic_resource(
            self, "vm", resource_type=RESOURCE_TYPE, provider=provider, attributes=attributes, depends_on=depends_on
        )
