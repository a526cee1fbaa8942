"""The loader refuses bad GCP input with one line naming file, line and key."""

from __future__ import annotations

import pytest

from constructs_lib.queues.loader import parse_queues
from tests.constructs_lib.queues import minimal_queues
from tests.constructs_lib.queues.minimal_queues import problems

FILE = "queues.yaml"

GCP_MINIMAL = """\
gcp:
  project: vllm-ci-infra
  region: us-central1
  state:
    bucket: test-state-gcp
  secrets:
    agent_token: buildkite-agent-token
    hf_token: hf-token
  network:
    subnets:
      us-central1: 10.40.0.0/20
  gke:
    enabled: true
    region: us-central1
    node_pools:
      l4:
        queue: gke-l4
        machine_type: g2-standard-12
        accelerator_type: nvidia-l4
        accelerator_count: 1
        min_nodes: 0
        max_nodes: 4
        zones: [us-central1-a]
routing:
  default_gpu: l4
queues:
  tpu:
    tpu:
      count: 8
      zone: us-central1-a
      accelerator_type: v3-8
      software_version: pytorch-2.0
      cidr_block: 10.30.0.0/26
  tpu-vm:
    tpu:
      count: 2
      zone: us-central1-b
      architecture: vm
      accelerator_type: v5litepod-1
      software_version: v2-alpha-tpuv5-lite
  gke-l4:
    accelerator: {type: l4, count: 1}
    kubernetes: {}
  cpu-elsewhere:
    external: {}
"""


def edit(old: str, new: str, text: str = GCP_MINIMAL) -> str:
    return minimal_queues.edit(old, new, text)


def test_minimal_gcp_file_loads():
    model = parse_queues(GCP_MINIMAL.encode(), FILE)
    assert model.queues["tpu"].tpu.architecture == "node"
    assert model.queues["tpu-vm"].tpu.architecture == "vm"
    assert model.gcp.gke.enabled is True


def test_region_where_a_zone_belongs():
    text = edit("      zone: us-central1-a\n", "      zone: us-central1\n")
    assert problems(text) == [
        "queues.yaml:30: queues.tpu.tpu.zone: 'us-central1' is not a valid GCP zone like us-central1-a (a region is not a zone)"
    ]


def test_region_where_a_zone_belongs_in_a_node_pool():
    text = edit("        zones: [us-central1-a]\n", "        zones: [us-central1]\n")
    assert problems(text) == [
        "queues.yaml:23: gcp.gke.node_pools.l4.zones[0]: 'us-central1' is not a valid GCP zone like us-central1-a (a region is not a zone)"
    ]


def test_zone_where_a_region_belongs():
    text = edit("    region: us-central1\n", "    region: us-central1-a\n")
    assert problems(text) == [
        "queues.yaml:14: gcp.gke.region: 'us-central1-a' is not a valid GCP region like us-central1"
    ]


def test_rbac_security_group_is_optional_and_named_as_gke_requires():
    assert parse_queues(GCP_MINIMAL.encode(), FILE).gcp.gke.rbac_security_group is None
    good = edit("    node_pools:\n", "    rbac_security_group: gke-security-groups@example.com\n    node_pools:\n")
    assert parse_queues(good.encode(), FILE).gcp.gke.rbac_security_group == "gke-security-groups@example.com"


@pytest.mark.parametrize(
    "bad",
    [
        "ci-admins@example.com",
        "gke-security-groups@localhost",
        "gke-security-groups@Example.com",
        "gke-security-groups",
    ],
)
def test_rbac_security_group_of_another_name(bad):
    text = edit("    node_pools:\n", f"    rbac_security_group: {bad}\n    node_pools:\n")
    assert problems(text) == [
        f"queues.yaml:15: gcp.gke.rbac_security_group: '{bad}' is not a valid Google Group gke-security-groups@<your domain> (GKE requires that name)"
    ]


@pytest.mark.parametrize("bad", ["v3_8", "tpu-v3-8", "v3"])
def test_malformed_tpu_accelerator_type(bad):
    text = edit("      accelerator_type: v3-8\n", f"      accelerator_type: {bad}\n")
    assert problems(text) == [
        f"queues.yaml:31: queues.tpu.tpu.accelerator_type: '{bad}' is not a valid TPU accelerator type like v4-8 or v5litepod-1"
    ]


@pytest.mark.parametrize("bad", ["l4", "NVIDIA-L4", "nvidia_l4"])
def test_malformed_gpu_accelerator_type(bad):
    text = edit("        accelerator_type: nvidia-l4\n", f"        accelerator_type: {bad}\n")
    assert problems(text) == [
        f"queues.yaml:19: gcp.gke.node_pools.l4.accelerator_type: '{bad}' is not a valid GCE accelerator type like nvidia-l4"
    ]


@pytest.mark.parametrize("bad", ["g2 standard 12", "G2-standard-12", "g2.standard"])
def test_malformed_machine_type(bad):
    text = edit("        machine_type: g2-standard-12\n", f"        machine_type: {bad}\n")
    assert problems(text) == [
        f"queues.yaml:18: gcp.gke.node_pools.l4.machine_type: '{bad}' is not a valid GCE machine type like g2-standard-8"
    ]


def test_malformed_host_machine_type():
    text = edit(
        "      cidr_block: 10.30.0.0/26\n", "      cidr_block: 10.30.0.0/26\n      host_machine_type: e2.small\n"
    )
    assert problems(text) == [
        "queues.yaml:34: queues.tpu.tpu.host_machine_type: 'e2.small' is not a valid GCE machine type like g2-standard-8"
    ]


def test_count_zero():
    text = edit("      count: 8\n", "      count: 0\n")
    assert problems(text) == ["queues.yaml:29: queues.tpu.tpu.count: must be at least 1 (got 0)"]


def test_pool_min_greater_than_max():
    text = edit("        min_nodes: 0\n", "        min_nodes: 5\n")
    assert problems(text) == ["queues.yaml:22: gcp.gke.node_pools.l4.max_nodes: must be >= min_nodes (4 < 5)"]


def test_pool_for_a_queue_that_does_not_exist():
    text = edit("        queue: gke-l4\n", "        queue: gke-l8\n")
    assert problems(text) == ["queues.yaml:17: gcp.gke.node_pools.l4.queue: no queue named 'gke-l8' is declared"]


@pytest.mark.parametrize("queue, platform", [("tpu", "tpu"), ("cpu-elsewhere", "external")])
def test_pool_for_a_queue_that_is_not_kubernetes_backed(queue, platform):
    text = edit("        queue: gke-l4\n", f"        queue: {queue}\n")
    assert problems(text) == [
        f"queues.yaml:17: gcp.gke.node_pools.l4.queue: queue '{queue}' is not Kubernetes-backed (it is hosted by {platform})"
    ]


def test_pool_for_a_queue_on_another_cluster():
    text = edit("    kubernetes: {}\n", "    kubernetes: {cluster: on-prem}\n")
    assert problems(text) == [
        "queues.yaml:17: gcp.gke.node_pools.l4.queue: queue 'gke-l4' runs on cluster 'on-prem', not on 'ci'"
    ]


def test_unknown_tpu_architecture():
    text = edit("      architecture: vm\n", "      architecture: pod\n")
    assert problems(text) == [
        "queues.yaml:38: queues.tpu-vm.tpu.architecture: must be one of 'node' or 'vm' (got 'pod')"
    ]


def test_current_generations_exist_only_as_tpu_vms():
    text = edit(
        "      accelerator_type: v3-8\n      software_version: pytorch-2.0\n",
        "      accelerator_type: v6e-1\n      software_version: pytorch-2.0\n",
    )
    assert problems(text) == [
        "queues.yaml:31: queues.tpu.tpu.accelerator_type: v6e-1 exists only as a TPU VM; set architecture: vm",
    ]


def test_hyperdisk_only_generations_refuse_persistent_disks():
    text = edit(
        "      software_version: v2-alpha-tpuv5-lite\n",
        "      software_version: v2-alpha-tpuv6e\n      data_disk_type: pd-ssd\n",
    )
    text = edit("      accelerator_type: v5litepod-1\n", "      accelerator_type: v6e-1\n", text)
    assert problems(text) == [
        "queues.yaml:41: queues.tpu-vm.tpu.data_disk_type: v6e-1 supports only hyperdisk-balanced data disks"
    ]


def test_software_version_must_suit_the_architecture():
    text = edit("      software_version: pytorch-2.0\n", "      software_version: tpu-vm-base\n")
    text = edit("      software_version: v2-alpha-tpuv5-lite\n", "      software_version: '2.12.0'\n", text)
    assert problems(text) == [
        "queues.yaml:32: queues.tpu.tpu.software_version: 'tpu-vm-base' is a TPU VM runtime; a TPU Node takes a TensorFlow or PyTorch version such as 2.12.0 or pytorch-2.0 (or set architecture: vm)",
        "queues.yaml:40: queues.tpu-vm.tpu.software_version: '2.12.0' is not a TPU VM runtime; architecture vm takes one such as v2-alpha-tpuv5-lite or tpu-ubuntu2204-base",
    ]


def test_tpu_node_block_must_hold_one_29_per_tpu():
    text = edit("      cidr_block: 10.30.0.0/26\n", "      cidr_block: 10.30.0.0/29\n")
    assert problems(text) == [
        "queues.yaml:33: queues.tpu.tpu.cidr_block: holds 1 /29 block(s) but the fleet has 8 TPU Nodes; use a /26"
    ]
    text = edit("      cidr_block: 10.30.0.0/26\n", "")
    assert problems(text) == [
        "queues.yaml:28: queues.tpu.tpu: architecture node needs cidr_block: a block with one /29 per TPU (a /26 for 8)"
    ]


def test_invalid_and_overlapping_cidrs():
    text = edit("      cidr_block: 10.30.0.0/26\n", "      cidr_block: 10.40.8.0/26\n")
    assert problems(text) == [
        "queues.yaml:33: queues.tpu.tpu.cidr_block: 10.40.8.0/26 overlaps gcp.network.subnets.us-central1 (10.40.0.0/20)"
    ]
    text = edit("      us-central1: 10.40.0.0/20\n", "      us-central1: 10.40.0.1/20\n")
    assert problems(text) == [
        "queues.yaml:11: gcp.network.subnets.us-central1: invalid CIDR '10.40.0.1/20': 10.40.0.1/20 has host bits set"
    ]


def test_gke_ranges():
    text = edit(
        "    region: us-central1\n",
        "    region: us-central1\n    master_cidr: 172.16.0.0/24\n    services_cidr: 10.64.0.0/20\n",
    )
    assert problems(text) == [
        "queues.yaml:15: gcp.gke.master_cidr: must be a /28 (got /24)",
        "queues.yaml:16: gcp.gke.services_cidr: 10.64.0.0/20 overlaps gcp.gke.pods_cidr (10.64.0.0/14)",
    ]


def test_tpu_region_needs_a_subnet():
    text = edit("      zone: us-central1-b\n", "      zone: europe-west4-a\n")
    assert problems(text) == [
        "queues.yaml:37: queues.tpu-vm.tpu.zone: region europe-west4 has no subnet under gcp.network.subnets"
    ]


def test_tpu_queues_need_the_gcp_section():
    start, end = GCP_MINIMAL.index("gcp:\n"), GCP_MINIMAL.index("routing:\n")
    assert problems(GCP_MINIMAL[:start] + GCP_MINIMAL[end:]) == [
        "queues.yaml:5: queues.tpu.tpu: TPU queues need the top-level gcp section (project, region, state, secrets)"
    ]


def test_derived_gcp_names_collide_or_are_too_long():
    text = GCP_MINIMAL.replace("  tpu-vm:\n", "  TPU-vm:\n") + (
        "  tpu_vm:\n    tpu:\n      count: 1\n      zone: us-central1-b\n      architecture: vm\n"
        "      accelerator_type: v5litepod-1\n      software_version: v2-alpha-tpuv5-lite\n"
    )
    assert problems(text) == [
        "queues.yaml:46: queues.tpu_vm: gives the GCP resource name bk-tpu-vm-0, as queue TPU-vm does; rename one"
    ]
    long_name = "t" * 60
    text = GCP_MINIMAL.replace("  tpu-vm:\n", f"  {long_name}:\n")
    assert problems(text) == [
        f"queues.yaml:34: queues.{long_name}: gives the GCP resource name bk-{long_name}-0 (65 characters; the limit is 63); shorten the queue name"
    ]


def test_derived_names_must_fit_gcp_limits():
    text = edit("  network:\n", "  network:\n    name: " + "n" * 51 + "\n")
    assert problems(text) == [
        "queues.yaml:10: gcp.network.name: gives the resource name "
        + "n" * 51
        + "-deny-ingress (64 characters; the limit is 63)"
    ]
    text = edit("    region: us-central1\n", "    region: us-central1\n    name: " + "c" * 41 + "\n")
    assert problems(text) == ["queues.yaml:15: gcp.gke.name: takes at most 40 characters (got 41)"]


def test_pool_accelerators_must_fit_the_queue():
    text = edit("        accelerator_type: nvidia-l4\n", "        accelerator_type: nvidia-tesla-a100\n")
    assert problems(text) == [
        "queues.yaml:19: gcp.gke.node_pools.l4.accelerator_type: nvidia-tesla-a100 does not match queue gke-l4's accelerator l4"
    ]
    text = edit("    accelerator: {type: l4, count: 1}\n", "    accelerator: {type: l4, count: 2}\n")
    assert problems(text) == [
        "queues.yaml:20: gcp.gke.node_pools.l4.accelerator_count: queue gke-l4 runs jobs with 2 l4 but the pool's nodes have 1"
    ]


def test_several_problems_are_reported_together():
    text = edit("      count: 8\n", "      count: 0\n")
    text = edit("        min_nodes: 0\n", "        min_nodes: 5\n", text)
    assert problems(text) == [
        "queues.yaml:22: gcp.gke.node_pools.l4.max_nodes: must be >= min_nodes (4 < 5)",
        "queues.yaml:29: queues.tpu.tpu.count: must be at least 1 (got 0)",
    ]
