"""VpcFlowLog: every flow of a VPC, logged to an encrypted CloudWatch log group."""

from __future__ import annotations

import dataclasses
from typing import Any

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

RETENTION_DAYS = 365


@dataclasses.dataclass(frozen=True)
class FlowLogTarget:
    """Where a new VPC's flow logs go: the region's key (and its policy), and who the stack runs as."""

    kms_key_arn: str
    key_policy: Any  # the key's policy resource: CloudWatch Logs checks it when the group is created
    account_id: str
    partition: str
    region: str


def log_group_name(name: str) -> str:
    return f"/buildkite/{name}/vpc-flow-logs"


class VpcFlowLog(Construct):
    """The log group (KMS-encrypted, kept a year), the role the flow-log service writes with, the flow log.

    The key's policy must let CloudWatch Logs use it for this log group
    (`log_group_name`): the stack grants that where it creates the key.
    """

    def __init__(self, scope: Construct, id: str, *, vpc_id: str, name: str, target: FlowLogTarget):
        super().__init__(scope, id)
        kms_key_arn, account_id, partition, region = (
            target.kms_key_arn,
            target.account_id,
            target.partition,
            target.region,
        )
        group = aws.CloudwatchLogGroup(
            self,
            "log-group",
            name=log_group_name(name),
            retention_in_days=RETENTION_DAYS,
            kms_key_id=kms_key_arn,
            depends_on=[target.key_policy],
        )
        trust = aws.DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                aws.DataAwsIamPolicyDocumentStatement(
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        aws.DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["vpc-flow-logs.amazonaws.com"]
                        )
                    ],
                    condition=[
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:SourceAccount", values=[account_id]
                        ),
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="aws:SourceArn",
                            values=[f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"],
                        ),
                    ],
                )
            ],
        )
        role = aws.IamRole(self, "role", name=f"{name}-vpc-flow-logs", assume_role_policy=trust.json)
        write = aws.DataAwsIamPolicyDocument(
            self,
            "write",
            statement=[
                aws.DataAwsIamPolicyDocumentStatement(
                    sid="WriteFlowLogs",
                    effect="Allow",
                    actions=["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    resources=[group.arn, f"{group.arn}:*"],
                )
            ],
        )
        aws.IamRolePolicy(self, "write-policy", name="write-flow-logs", role=role.id, policy=write.json)
        self.flow_log = aws.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags={"Name": name},
        )
