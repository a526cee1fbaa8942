"""ModelCacheFileSystem: encrypted, reachable on NFS from the agents' security group only, a mount target per subnet."""

from __future__ import annotations

import json

import cdktf

from constructs_lib.infra.aws.model_cache import NFS_PORT, ModelCacheFileSystem
from constructs_lib.infra.jsii.providers import aws
from tests.constructs_lib.infra.stacks.synth_helpers import resources


def synth() -> dict:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "test")
    aws.AwsProvider(stack, "aws", region="us-west-2")
    ModelCacheFileSystem(
        stack,
        "model-cache",
        name="ci",
        vpc_id="vpc-1",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        agents_security_group_id="sg-agents",
        kms_key_arn="arn:aws:kms:us-west-2:1:key/k",
        throughput="elastic",
    )
    return json.loads(cdktf.Testing.synth(stack))


def test_encrypted_with_the_regions_key():
    stack = synth()
    (fs,) = resources(stack, "aws_efs_file_system").values()
    assert (
        fs["encrypted"] is True
        and fs["kms_key_id"] == "arn:aws:kms:us-west-2:1:key/k"
        and fs["throughput_mode"] == "elastic"
    )


def test_only_the_agents_reach_it_on_nfs_from_every_subnet():
    stack = synth()
    (group,) = resources(stack, "aws_security_group").values()
    (rule,) = group["ingress"]
    assert (rule["from_port"], rule["to_port"], rule["protocol"]) == (NFS_PORT, NFS_PORT, "tcp")
    assert rule["security_groups"] == ["sg-agents"] and not rule.get("cidr_blocks") and not rule.get("ipv6_cidr_blocks")
    assert not group.get("egress")
    targets = resources(stack, "aws_efs_mount_target").values()
    assert sorted(t["subnet_id"] for t in targets) == ["subnet-a", "subnet-b", "subnet-c"]
