"""TpuFleet: the TPUs of one queue, each with a persistent SSD and a Buildkite agent.

Architecture `node`: a google_tpu_node (own /29 of the fleet's block, peered
to the agent network) plus an AgentHost VM named after it. Architecture `vm`:
a TPU VM running the agent itself. Either way the TPU's data disk becomes
Docker's data root, and the agent reads its tokens from Secret Manager at
boot through the agents' service account (the token of the queue's cluster,
and the public key that verifies signed jobs). Every Compute Engine disk of the
fleet (data disks, agent host boot disks) is encrypted with the region's
Cloud KMS key and created only once Compute Engine may use that key.
"""

from __future__ import annotations

from typing import Any

from cdktf import TerraformProvider
from constructs import Construct

from constructs_lib.infra.gcp.agent_host import AgentHost
from constructs_lib.infra.gcp.disk_encryption import RegionKey
from constructs_lib.infra.gcp.startup_script import AgentBoot
from constructs_lib.infra.gcp.tpu_vm import TpuVm
from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import TpuFleet as TpuFleetSpec


class TpuFleet(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: str,
        queue_name: str,
        fleet: TpuFleetSpec,
        agent_token_secret: str,
        hf_token_secret: str,
        verification: tuple[str, str] = ("", ""),
        network: Any,  # google.ComputeNetwork (loaded lazily by providers)
        subnetwork_id: str,
        service_account_email: str,
        disk_key: RegionKey,
        beta_provider: TerraformProvider | None = None,
        depends_on: list[Any] | None = None,
    ):
        super().__init__(scope, id)
        labels = {"buildkite-queue": names.label_value(queue_name)}
        self.tpu_names: list[str] = []
        for index in range(fleet.count):
            tpu_name = names.tpu_name(queue_name, index)
            self.tpu_names.append(tpu_name)
            boot = AgentBoot(
                project=project,
                queue=queue_name,
                tpu_name=tpu_name,
                tpu_zone=fleet.zone,
                accelerator_type=fleet.accelerator_type,
                architecture=fleet.architecture,
                agent_token_secret=agent_token_secret,
                hf_token_secret=hf_token_secret,
                verification_jwks_secret=verification[0],
                verification_failure=verification[1],
            )
            disk = google.ComputeDisk(
                self,
                f"{tpu_name}-data",
                name=names.data_disk_name(tpu_name),
                zone=fleet.zone,
                type=names.data_disk_type(fleet),
                size=fleet.data_disk_gb,
                disk_encryption_key=google.ComputeDiskDiskEncryptionKey(kms_key_self_link=disk_key.key_id),
                labels=labels,
                depends_on=[disk_key.grant],
            )
            if fleet.architecture == "node":
                tpu = google.TpuNode(
                    self,
                    tpu_name,
                    name=tpu_name,
                    zone=fleet.zone,
                    accelerator_type=fleet.accelerator_type,
                    tensorflow_version=fleet.software_version,
                    cidr_block=names.node_cidr(fleet, index),
                    network=network.name,
                    use_service_networking=False,
                    scheduling_config={"preemptible": fleet.preemptible},
                    labels=labels,
                    description=f"Buildkite TPU {index} of queue {queue_name}; agent on {names.host_name(tpu_name)}",
                )
                AgentHost(
                    self,
                    f"{tpu_name}-host",
                    boot=boot,
                    machine_type=fleet.host_machine_type,
                    image=fleet.host_image,
                    subnetwork=subnetwork_id,
                    service_account_email=service_account_email,
                    data_disk=disk.id,
                    kms_key=disk_key.key_id,
                    tpu_ip_address=tpu.network_endpoints.get(0).ip_address,
                    labels=labels,
                    # Its boot disk uses the key too.
                    depends_on=[*(depends_on or []), disk_key.grant],
                )
            else:
                TpuVm(
                    self,
                    tpu_name,
                    provider=beta_provider,
                    boot=boot,
                    runtime_version=fleet.software_version,
                    network=network.id,
                    subnetwork=subnetwork_id,
                    service_account_email=service_account_email,
                    data_disk=disk.id,
                    preemptible=fleet.preemptible,
                    labels=labels,
                    depends_on=depends_on,
                )
