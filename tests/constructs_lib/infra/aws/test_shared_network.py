"""SharedNetwork: a region's VPC (new, with flow logs, or an existing one) and the agents' egress-only security group."""

from __future__ import annotations

from constructs_lib.infra.aws.encryption_key import EncryptionKey
from constructs_lib.infra.aws.shared_network import SharedNetwork
from constructs_lib.infra.aws.vpc_flow_log import FlowLogTarget
from constructs_lib.queues.model import AwsRegionNetwork
from tests.constructs_lib.infra.construct_synth import of_type, synth


def network(settings: dict):
    def build(stack):
        key = EncryptionKey(stack, "k", alias="buildkite-x", description="d", account_id="123", partition="aws")
        target = FlowLogTarget(
            kms_key_arn=key.arn, key_policy=key.policy, account_id="123", partition="aws", region="us-west-2"
        )
        return SharedNetwork(
            stack, "n", network=AwsRegionNetwork.model_validate(settings), name="buildkite-x", flow_logs=target
        )

    return synth(build)


def test_a_new_vpc_has_a_subnet_per_zone_flow_logs_and_an_unused_default_group():
    stack, built = network({"vpc_cidr": "10.0.0.0/16", "zones": 2})
    assert sorted(s["cidr_block"] for s in of_type(stack, "aws_subnet")) == ["10.0.0.0/20", "10.0.16.0/20"]
    assert len(of_type(stack, "aws_flow_log")) == 1
    (default,) = of_type(stack, "aws_default_security_group")
    assert "ingress" not in default and "egress" not in default, "the default group allows nothing"
    (agents,) = of_type(stack, "aws_security_group")
    assert "ingress" not in agents or not agents["ingress"], "nothing connects to the agents"
    assert [rule["protocol"] for rule in agents["egress"]] == ["-1"]


def test_an_existing_vpc_is_used_as_it_is():
    stack, built = network(
        {"existing_vpc": {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}}
    )
    assert not of_type(stack, "aws_vpc") and not of_type(stack, "aws_subnet") and not of_type(stack, "aws_flow_log")
    assert built.vpc_id == "vpc-0123456789abcdef0" and built.subnet_ids == ["subnet-0123456789abcdef0"]
    (agents,) = of_type(stack, "aws_security_group")
    assert agents["vpc_id"] == "vpc-0123456789abcdef0"
