"""AgentHost: the small Compute Engine VM that runs the agent for one TPU Node.

A TPU Node has no VM of its own on which buildkite-agent could run (the
resource takes no metadata or startup script): this is the TPU Node
architecture's "user VM". It is named after its TPU, has no external IP,
boots with Shielded VM, and mounts the TPU's persistent SSD as Docker's data
root. Its boot script knows the TPU's name and zone; the TPU's address comes
as instance metadata once the TPU exists. Its boot disk is encrypted with the
region's Cloud KMS key (`kms_key`), as the data disk is.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from constructs_lib.infra.gcp.startup_script import AgentBoot, instance_metadata
from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues import gcp_names as names

BOOT_DISK_GB = 50


class AgentHost(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        boot: AgentBoot,
        machine_type: str,
        image: str,
        subnetwork: str,
        service_account_email: str,
        data_disk: str,
        kms_key: str,
        tpu_ip_address: str,
        labels: dict[str, str],
        depends_on: list[Any] | None = None,
    ):
        super().__init__(scope, id)
        self.instance = google.ComputeInstance(
            self,
            "instance",
            name=names.host_name(boot.tpu_name),
            zone=boot.tpu_zone,
            machine_type=machine_type,
            description=f"Buildkite agent of TPU {boot.tpu_name} (queue {boot.queue})",
            boot_disk=google.ComputeInstanceBootDisk(
                auto_delete=True,
                kms_key_self_link=kms_key,
                initialize_params=google.ComputeInstanceBootDiskInitializeParams(
                    image=image, size=BOOT_DISK_GB, type="pd-balanced"
                ),
            ),
            attached_disk=[
                google.ComputeInstanceAttachedDisk(source=data_disk, device_name=names.DATA_DEVICE, mode="READ_WRITE")
            ],
            # No access_config: no external IP; egress goes through Cloud NAT.
            network_interface=[google.ComputeInstanceNetworkInterface(subnetwork=subnetwork)],
            service_account=google.ComputeInstanceServiceAccount(
                email=service_account_email, scopes=["cloud-platform"]
            ),
            shielded_instance_config=google.ComputeInstanceShieldedInstanceConfig(
                enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
            ),
            metadata=instance_metadata(boot, **{"tpu-ip-address": tpu_ip_address}),
            labels=labels,
            tags=["buildkite-agent"],
            can_ip_forward=False,
            allow_stopping_for_update=True,
            depends_on=depends_on,
        )
