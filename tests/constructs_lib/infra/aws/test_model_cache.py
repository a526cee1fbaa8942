"""ModelCacheFileSystem: the region's shared model cache, encrypted, reachable over NFS from the agents only."""

from __future__ import annotations

from constructs_lib.infra.aws.model_cache import ModelCacheFileSystem
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_cache_is_encrypted_and_only_the_agents_mount_it():
    stack, _ = synth(
        lambda s: ModelCacheFileSystem(
            s,
            "m",
            name="buildkite-x",
            vpc_id="vpc-1",
            subnet_ids=["subnet-1", "subnet-2"],
            agents_security_group_id="sg-agents",
            kms_key_arn="arn:kms",
            throughput="elastic",
        )
    )
    (fs,) = of_type(stack, "aws_efs_file_system")
    assert fs["encrypted"] is True and fs["kms_key_id"] == "arn:kms" and fs["throughput_mode"] == "elastic"
    targets = of_type(stack, "aws_efs_mount_target")
    assert sorted(t["subnet_id"] for t in targets) == ["subnet-1", "subnet-2"]
    (group,) = of_type(stack, "aws_security_group")
    (rule,) = group["ingress"]
    assert (rule["protocol"], rule["from_port"], rule["to_port"], rule["security_groups"]) == (
        "tcp",
        2049,
        2049,
        ["sg-agents"],
    )
    assert not rule["cidr_blocks"], "no address range: the agents' security group alone"
