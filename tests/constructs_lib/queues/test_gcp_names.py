"""Names and per-TPU values the GCP constructs derive from queues.yaml."""

from __future__ import annotations

from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import TpuFleet


def fleet(**overrides) -> TpuFleet:
    base = dict(
        count=8,
        zone="us-central1-a",
        accelerator_type="v3-8",
        software_version="pytorch-2.0",
        cidr_block="10.30.0.0/26",
    )
    return TpuFleet(**{**base, **overrides})


def test_each_tpu_node_gets_its_own_29():
    f = fleet()
    blocks = [names.node_cidr(f, i) for i in range(8)]
    assert blocks[0] == "10.30.0.0/29" and blocks[7] == "10.30.0.56/29"
    assert len(set(blocks)) == 8
    assert names.node_blocks_needed(8) == 26 and names.node_blocks_needed(1) == 29 and names.node_blocks_needed(9) == 25


def test_names_follow_the_tpu():
    assert names.tpu_name("gpu_1.queue", 3) == "bk-gpu-1-queue-3"
    assert names.host_name("bk-tpu-0") == "bk-tpu-0-host"
    assert names.data_disk_name("bk-tpu-0") == "bk-tpu-0-data"
    assert names.fleet_names("tpu", fleet(count=2)) == [
        "bk-tpu-0",
        "bk-tpu-0-data",
        "bk-tpu-0-host",
        "bk-tpu-1",
        "bk-tpu-1-data",
        "bk-tpu-1-host",
    ]
    assert names.fleet_names(
        "t", fleet(count=1, architecture="vm", accelerator_type="v5litepod-1", cidr_block=None)
    ) == ["bk-t-0", "bk-t-0-data"]
    assert names.label_value("Gpu.Queue-") == "gpu_queue"


def test_data_disk_type_follows_the_generation():
    assert names.data_disk_type(fleet()) == "pd-ssd"
    assert (
        names.data_disk_type(fleet(accelerator_type="v6e-1", architecture="vm", cidr_block=None))
        == "hyperdisk-balanced"
    )
    assert names.data_disk_type(fleet(data_disk_type="pd-balanced")) == "pd-balanced"
    assert names.generation("v5litepod-1") == "v5litepod" and names.zone_region("us-east5-b") == "us-east5"


def test_key_rings_and_the_access_log_bucket_are_named_from_queues_yaml():
    assert (
        names.key_ring_name("buildkite-agents", "us-east5")
        == "buildkite-agents-us-east5"
        == names.subnet_name("buildkite-agents", "us-east5")
    )
    assert names.access_log_bucket_name("vllm-ci-terraform-state-gcp") == "vllm-ci-terraform-state-gcp-access-logs"
    assert names.access_log_bucket_name("a" * 63) == "a" * 51 + "-access-logs"  # GCS's 63 characters
    assert (
        names.access_log_bucket_name("a" * 50 + "-b.c_d" + "e" * 7) == "a" * 50 + "-access-logs"
    )  # no '-' left before the suffix


def test_pure_gcp_modules_import_without_cdktf():
    """The loader's rules use these modules; the CI bootstrap loads them without cdktf."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = (
        "import sys, constructs_lib.queues.loader, constructs_lib.queues.gcp_names, constructs_lib.infra.gcp.startup_script\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
