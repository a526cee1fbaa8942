"""Each hosting kind's rules, named and tested alone on models built in Python."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from constructs_lib.queues.hostings.aws import rules as aws_rules
from constructs_lib.queues.hostings.kubernetes import rules as kubernetes_rules
from constructs_lib.queues.hostings.tpu import rules as tpu_rules
from constructs_lib.queues.model import QueuesFile
from tests.constructs_lib.queues.minimal_queues import GCP, MINIMAL


def model(**queues: dict[str, Any]) -> QueuesFile:
    data = yaml.safe_load(MINIMAL)
    data["gcp"] = copy.deepcopy(GCP)
    data["queues"].update(copy.deepcopy(queues))
    return QueuesFile.model_validate(data, strict=False)


def test_aws_sizes():
    found = list(
        aws_rules.sizes(model(small={"aws": {"instance_types": ["r6in.large"], "min_size": 3, "max_size": 2}}))
    )
    assert found == [(("queues", "small", "aws", "max_size"), "must be >= min_size (2 < 3)")]


def test_aws_stack_names_that_iam_would_confuse():
    found = list(
        aws_rules.stack_names(model(**{"Cpu_Queue": {"aws": {"instance_types": ["r6in.large"], "max_size": 1}}}))
    )
    assert len(found) == 1 and found[0][0] == ("queues", "Cpu_Queue") and "as queue cpu_queue does" in found[0][1]


def test_aws_region_needs_a_network():
    found = list(
        aws_rules.section(model(east={"aws": {"instance_types": ["r6in.large"], "max_size": 1, "region": "us-east-1"}}))
    )
    assert found == [(("queues", "east", "aws", "region"), "region us-east-1 has no entry under aws.networks")]


def test_aws_catalog_of_the_pinned_stack():
    found = list(
        aws_rules.catalog(
            model(
                odd={"aws": {"instance_types": ["r6in.large"], "max_size": 1, "parameters": {"NoSuchParameter": "x"}}}
            )
        )
    )
    assert found and found[0][0] == ("queues", "odd", "aws", "parameters", "NoSuchParameter")
    assert "unknown Elastic CI Stack v6.71.1 parameter" in found[0][1]


def test_aws_images_need_their_parameter():
    found = list(aws_rules.images(model(gpu={"aws": {"instance_types": ["g6.xlarge"], "max_size": 1, "image": "gpu"}})))
    assert found == [
        (
            ("queues", "gpu", "aws", "image"),
            "boots the toolkit's gpu image: declare aws.images.gpu (the SSM parameter make ami writes)",
        )
    ]


TPU = {
    "count": 2,
    "zone": "us-central1-a",
    "accelerator_type": "v5litepod-1",
    "software_version": "v2-alpha-tpuv5-lite",
    "architecture": "vm",
}


def test_tpu_fleet():
    assert list(tpu_rules.fleet(model(tpu={"tpu": TPU}))) == []
    found = list(tpu_rules.fleet(model(tpu={"tpu": {**TPU, "software_version": "pytorch-2.0"}})))
    assert [path for path, _ in found] == [("queues", "tpu", "tpu", "software_version")]


def test_tpu_names_over_gcp_limits():
    found = list(tpu_rules.names(model(**{"t" * 60: {"tpu": TPU}})))
    assert len(found) == 1 and "63" in found[0][1]


def test_kubernetes_helm_releases_that_collide():
    data = yaml.safe_load(MINIMAL)
    data["gcp"] = {**copy.deepcopy(GCP), "gke": {"name": "ci", "region": "us-central1"}}
    data["queues"].update({"a_queue": {"kubernetes": {}}, "a-queue": {"kubernetes": {}}})
    found = list(kubernetes_rules.helm_releases(QueuesFile.model_validate(data, strict=False)))
    assert [path for path, _ in found] == [("queues", "a-queue")] and "as queue a_queue does" in found[0][1]
