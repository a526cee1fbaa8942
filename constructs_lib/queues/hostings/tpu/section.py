"""The TPU section of a queue: TPUs on GCP with Buildkite agents. Pure pydantic."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from constructs_lib.queues.fields import (
    MAX_TPUS,
    Cidr,
    GceImage,
    GcpMachineType,
    GcpZone,
    SoftwareVersion,
    Strict,
    TpuType,
)


class TpuFleet(Strict):
    """TPUs on GCP with Buildkite agents."""

    count: int = Field(description="Number of TPUs.", le=MAX_TPUS)
    zone: GcpZone
    accelerator_type: TpuType
    software_version: SoftwareVersion = Field(
        description="node: the TPU Node's TensorFlow/PyTorch version (e.g. pytorch-2.0); vm: the TPU VM runtime (e.g. v2-alpha-tpuv5-lite)."
    )
    architecture: Literal["node", "vm"] = Field(
        "node",
        description="node: google_tpu_node plus an agent host VM each; vm: TPU VMs (v5e, v6e, v7x) running the agent.",
    )
    host_machine_type: GcpMachineType = Field("e2-standard-4", description="Agent host VM (architecture node).")
    host_image: GceImage = Field("debian-cloud/debian-12", description="Agent host boot image (architecture node).")
    data_disk_gb: int = Field(500, ge=10, le=65536, description="Persistent SSD used as Docker's data root.")
    data_disk_type: Optional[Literal["pd-ssd", "pd-balanced", "hyperdisk-balanced"]] = Field(
        None,
        description="Data disk type; default pd-ssd, hyperdisk-balanced for v6e and v7x (which support only Hyperdisk).",
    )
    cidr_block: Optional[Cidr] = Field(
        None,
        description="Architecture node: a block holding one /29 per TPU (a /26 for 8), outside the region's subnet.",
    )
    preemptible: bool = False


class TpuHosted(Strict):
    """The tpu section of a queue, as the queue model takes it (constructs_lib.queues.hostings.Hostings)."""

    tpu: Optional[TpuFleet] = Field(None, description="Hosted by a TPU fleet on GCP.")
