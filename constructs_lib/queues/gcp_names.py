"""Names the GCP constructs give resources, derived from queue names.

Pure: no cdktf. The loader's rules check these names (length, collisions)
before anything is synthesized, and the constructs use the same functions.
GCE and TPU names must match [a-z]([-a-z0-9]*[a-z0-9])? and be at most 63
characters.
"""

from __future__ import annotations

import ipaddress
import re

from constructs_lib.queues.hostings.tpu.section import TpuFleet
from constructs_lib.queues.labels import label_value as label_value  # GCP and Kubernetes labels alike

MAX_NAME = 63
MAX_CLUSTER_NAME = 40  # GKE clusters and node pools
# TPU generations that exist only as TPU VMs, and those that need Hyperdisk.
NODE_GENERATIONS = ("v2", "v3")
HYPERDISK_ONLY = ("v6e", "v7x")
# Runtime names of TPU VM images (never valid as a TPU Node's version).
TPU_VM_RUNTIME = re.compile(r"^(tpu-vm-|tpu-ubuntu|v2-alpha)")
SUBNET_PREFIX = 29  # a TPU Node takes one /29 of its fleet's block

TPU_AGENT_ACCOUNT = "bk-tpu-agents"
DISK_KEY = "agent-disks"  # the crypto key in each region's key ring
GKE_NODE_ACCOUNT = "bk-gke-nodes"
DATA_DEVICE = "docker-data"


def slug(queue_name: str) -> str:
    """Lower-case letters, digits and '-' only."""
    return re.sub(r"[^a-z0-9-]", "-", queue_name.lower())


def tpu_name(queue_name: str, index: int) -> str:
    return f"bk-{slug(queue_name)}-{index}"


def host_name(tpu: str) -> str:
    """The agent host VM paired with a TPU Node is named after it."""
    return f"{tpu}-host"


def data_disk_name(tpu: str) -> str:
    return f"{tpu}-data"


def fleet_names(queue_name: str, fleet: TpuFleet) -> list[str]:
    """Every GCE/TPU resource name a fleet creates."""
    names = []
    for index in range(max(fleet.count, 0)):
        tpu = tpu_name(queue_name, index)
        names += [tpu, data_disk_name(tpu)]
        if fleet.architecture == "node":
            names.append(host_name(tpu))
    return names


def generation(accelerator_type: str) -> str:
    """v5litepod-1 -> v5litepod, v6e-1 -> v6e, v3-8 -> v3."""
    return accelerator_type.rsplit("-", 1)[0]


def data_disk_type(fleet: TpuFleet) -> str:
    if fleet.data_disk_type:
        return fleet.data_disk_type
    return "hyperdisk-balanced" if generation(fleet.accelerator_type) in HYPERDISK_ONLY else "pd-ssd"


def zone_region(zone: str) -> str:
    return zone.rsplit("-", 1)[0]


def node_cidr(fleet: TpuFleet, index: int) -> str:
    """The /29 of the fleet's block that TPU Node `index` uses."""
    if fleet.cidr_block is None:
        raise ValueError("a TPU Node fleet has a cidr_block (the loader refuses one without)")
    block = ipaddress.ip_network(fleet.cidr_block)
    size = 2 ** (32 - SUBNET_PREFIX)
    return f"{block.network_address + index * size}/{SUBNET_PREFIX}"


def node_blocks_needed(count: int) -> int:
    """Smallest prefix length of a block that holds `count` /29s."""
    return SUBNET_PREFIX - max(count - 1, 0).bit_length()


def gke_network_name(cluster: str) -> str:
    return f"{cluster}-gke"


def subnet_name(network: str, region: str) -> str:
    return f"{network}-{region}"


def deny_ingress_name(network: str) -> str:
    return f"{network}-deny-ingress"


def key_ring_name(network: str, region: str) -> str:
    """The region's KMS key ring for agent disks: named as the region's subnet (whose length the rules check)."""
    return subnet_name(network, region)


def access_log_bucket_name(state_bucket: str) -> str:
    """`<state bucket>-access-logs`, shortened to GCS's 63 characters where needed."""
    tail = "-access-logs"
    return state_bucket[: MAX_NAME - len(tail)].rstrip(".-_") + tail
