"""EncryptionKey: a customer-managed KMS key with an explicit key policy.

The account administers and uses the key through IAM (the key policy
delegates to the account root, as AWS's default policy does), so the
instance roles of the Elastic CI Stacks and the policies of this toolkit grant
use of it per queue. AWS services that encrypt with the key on the account's
behalf (CloudWatch Logs for flow logs, CloudFormation for stack-event
notifications) are named one by one, each bounded by the encryption context
of the one resource it serves.
"""

from __future__ import annotations

import dataclasses

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

KEY_USE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


@dataclasses.dataclass(frozen=True)
class ServiceGrant:
    """An AWS service allowed to use the key for one resource, named by the encryption context it uses.

    For example CloudWatch Logs for one log group: `ServiceGrant("...", "logs.us-west-2.amazonaws.com",
    "aws:logs:arn", log_group_arn)`.
    """

    sid: str
    service: str
    context: str
    resource_arn: str


class EncryptionKey(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias: str,
        description: str,
        account_id: str,
        partition: str,
        services: tuple[ServiceGrant, ...] = (),
    ):
        super().__init__(scope, id)
        self.key = aws.KmsKey(
            self, "key", description=description, enable_key_rotation=True, deletion_window_in_days=30
        )
        root = f"arn:{partition}:iam::{account_id}:root"
        # The policy is a resource of its own so that it can name the key by
        # its ARN: "*" in a key policy means the same, but reads (to people and
        # to checkov) as every resource.
        statements = [
            aws.DataAwsIamPolicyDocumentStatement(
                sid="AccountAdministersThroughIam",
                effect="Allow",
                principals=[aws.DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[root])],
                actions=["kms:*"],
                resources=[self.key.arn],
            )
        ]
        for grant in services:
            statements.append(
                aws.DataAwsIamPolicyDocumentStatement(
                    sid=grant.sid,
                    effect="Allow",
                    principals=[
                        aws.DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[grant.service])
                    ],
                    actions=KEY_USE,
                    resources=[self.key.arn],
                    condition=[
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnEquals",
                            variable=f"kms:EncryptionContext:{grant.context}",
                            values=[grant.resource_arn],
                        )
                    ],
                )
            )
        policy = aws.DataAwsIamPolicyDocument(self, "policy", statement=statements)
        # Resources that a service encrypts at creation (a log group) depend on this.
        self.policy = aws.KmsKeyPolicy(self, "key-policy", key_id=self.key.key_id, policy=policy.json)
        self.alias = aws.KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def alias_name(self) -> str:
        """`alias/<name>`, as a reference: what operators pass as --key-id, so both write the same."""
        return self.alias.name
