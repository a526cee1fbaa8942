"""VpcFlowLog: all of the VPC's traffic to an encrypted log group kept a year, written by a role of its own."""

from __future__ import annotations

from constructs_lib.infra.aws.encryption_key import EncryptionKey
from constructs_lib.infra.aws.vpc_flow_log import FlowLogTarget, VpcFlowLog, log_group_name
from tests.constructs_lib.infra.construct_synth import of_type, synth


def build(stack):
    key = EncryptionKey(stack, "k", alias="buildkite-x", description="d", account_id="123", partition="aws")
    target = FlowLogTarget(
        kms_key_arn=key.arn, key_policy=key.policy, account_id="123", partition="aws", region="us-west-2"
    )
    return VpcFlowLog(stack, "f", vpc_id="vpc-1", name="buildkite-x", target=target)


def test_all_traffic_is_logged_to_an_encrypted_group_once_the_key_allows_it():
    stack, _ = synth(build)
    (flow,) = of_type(stack, "aws_flow_log")
    assert (flow["vpc_id"], flow["traffic_type"], flow["log_destination_type"]) == ("vpc-1", "ALL", "cloud-watch-logs")
    (group,) = of_type(stack, "aws_cloudwatch_log_group")
    assert group["name"] == log_group_name("buildkite-x") and group["retention_in_days"] == 365
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    # CloudWatch Logs checks the key when the group is created: the key's policy first.
    assert any(d.startswith("aws_kms_key_policy.") for d in group["depends_on"])
    (role,) = of_type(stack, "aws_iam_role")
    assert flow["iam_role_arn"].startswith("${aws_iam_role.") and role["name"] == "buildkite-x-vpc-flow-logs"
