"""HostScripts: the boot script every Elastic CI Stack instance fetches, readable by the region's instance roles only."""

from __future__ import annotations

import json

import cdktf

from constructs_lib.infra.aws.host_scripts import BLOCK_KEY, PREFIX, HostScripts, ModelCacheMount
from constructs_lib.infra.host import AGENT_NO_LOCAL_HOOKS, BLOCK_CONTAINER_METADATA, for_terraform
from constructs_lib.infra.jsii.providers import aws
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources


def synth(role_names: list[str]) -> tuple[dict, HostScripts]:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "test")
    aws.AwsProvider(stack, "aws", region="us-west-2")
    scripts = HostScripts(
        stack,
        "host-scripts",
        bucket="ci-boot-us-west-2",
        role_names=role_names,
        account_id="123456789012",
        partition="aws",
    )
    return json.loads(cdktf.Testing.synth(stack)), scripts


def test_the_object_is_the_repository_script_under_its_key():
    stack, scripts = synth(["bk-a-Role"])
    (script,) = resources(stack, "aws_s3_object").values()
    assert script["key"] == BLOCK_KEY
    assert script["content"] == for_terraform(BLOCK_CONTAINER_METADATA.read_text(encoding="utf-8")) + for_terraform(
        AGENT_NO_LOCAL_HOOKS.read_text(encoding="utf-8")
    )
    assert scripts.url == f"s3://ci-boot-us-west-2/{BLOCK_KEY}"


def test_only_the_named_roles_of_the_account_may_read_the_script():
    stack, _ = synth(["bk-b-Role", "bk-a-Role"])
    (document,) = data_sources(stack, "aws_iam_policy_document").values()
    (statement,) = document["statement"]
    assert statement["actions"] == ["s3:GetObject"]
    assert statement["resources"] == [f"arn:aws:s3:::ci-boot-us-west-2/{PREFIX}*"]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in statement["condition"]}
    assert conditions == {
        "aws:PrincipalAccount": ("StringEquals", ["123456789012"]),
        "aws:PrincipalArn": (
            "ArnEquals",
            ["arn:aws:iam::123456789012:role/bk-a-Role", "arn:aws:iam::123456789012:role/bk-b-Role"],
        ),
    }
    (policy,) = resources(stack, "aws_s3_bucket_policy").values()
    assert "aws_iam_policy_document" in policy["policy"]


def test_the_bucket_stays_private():
    stack, _ = synth(["bk-a-Role"])
    (block,) = resources(stack, "aws_s3_bucket_public_access_block").values()
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )


def test_a_queue_that_mounts_the_model_cache_boots_a_script_of_its_own_and_the_others_the_shared_one():
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "test")
    aws.AwsProvider(stack, "aws", region="us-west-2")
    scripts = HostScripts(stack, "host-scripts", bucket="ci-boot", role_names=["r"], account_id="1", partition="aws")
    assert scripts.for_queue("cpu_queue", None) == scripts.url
    assert (
        scripts.for_queue("gpu_1_queue", ModelCacheMount("fs-1", "us-west-2", "/fsx/hf_cache"))
        == "s3://ci-boot/boot/gpu-1-queue.sh"
    )
    synthesized = json.loads(cdktf.Testing.synth(stack))
    assert sorted(o["key"] for o in resources(synthesized, "aws_s3_object").values()) == [
        BLOCK_KEY,
        "boot/gpu-1-queue.sh",
    ]
    assert len(scripts.ready) == 3  # the read grant and both objects
