"""Which hosts mount the shared model cache, and where."""

from __future__ import annotations

from constructs_lib.queues import model_cache
from constructs_lib.queues.loader import load_queues, parse_queues
from tests.conftest import REPO


def test_the_default_fleets_queues_on_the_aws_runner_mount_it_at_their_hf_home_and_no_others():
    model = load_queues(REPO / "queues.yaml")
    mounts = model_cache.mounting_queues(model)
    assert mounts and set(mounts.values()) == {"/fsx/hf_cache"}
    for name, queue in model.queues.items():
        uses = queue.aws is not None and queue.runner == "aws"
        assert (name in mounts) == uses, name


def test_nothing_mounts_without_a_declared_cache():
    text = (REPO / "queues.yaml").read_text().replace("  model_cache:\n    throughput: elastic\n", "")
    assert model_cache.mounting_queues(parse_queues(text.encode(), "queues.yaml")) == {}


def test_the_mount_point_is_the_host_side_of_the_hf_home_volume():
    text = (
        (REPO / "queues.yaml")
        .read_text()
        .replace(
            "    hf_home: /fsx/hf_cache\n    volumes: [/dev/shm:/dev/shm, /fsx/hf_cache:/fsx/hf_cache]",
            "    hf_home: /root/.cache/huggingface\n    volumes: [/dev/shm:/dev/shm, /mnt/models/:/root/.cache/huggingface]",
        )
    )
    model = parse_queues(text.encode(), "queues.yaml")
    assert model_cache.mount_point(model, "gpu_1_queue") == "/mnt/models"
