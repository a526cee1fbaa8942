"""CiAccessPolicy: what one queue's agents may touch, attached to its instance role.

Least privilege by queue: a queue pulls the CI images and reads the build
cache of the builds it may read; a queue that pushes pushes images and writes
the cache of the builds it serves (registry_access and cache_access say
which); only queues that need it read the HF token. The document comes from the aws_iam_policy_document data
source (not a JSON string) so that reviewers' tools can evaluate it.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.aws.iam_statement import Statement
from constructs_lib.infra.aws.registry_access import RegistryAccess
from constructs_lib.infra.jsii.providers import aws


class CiAccessPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        role_name: str,
        registry: RegistryAccess,
        cache: tuple[Statement, ...],
        hf_secret_arn: str,
        hf_secret_key_arn: str,
        region: str,
        needs_hf_token: bool,
        signing_key_arns: tuple[str, ...] = (),
    ):
        super().__init__(scope, id)
        statements: list[Statement] = [*registry.pull, *registry.push, *cache]
        if needs_hf_token:
            statements.append(
                {"sid": "ReadHfToken", "actions": ["secretsmanager:GetSecretValue"], "resources": [hf_secret_arn]}
            )
            # The secret is encrypted with the region's key: decrypt it, through Secrets Manager only.
            statements.append(
                {
                    "sid": "DecryptHfToken",
                    "actions": ["kms:Decrypt"],
                    "resources": [hf_secret_key_arn],
                    "condition": [
                        {
                            "test": "StringEquals",
                            "variable": "kms:ViaService",
                            "values": [f"secretsmanager.{region}.amazonaws.com"],
                        }
                    ],
                }
            )
        if signing_key_arns:
            # The Elastic CI Stack grants its role the agent token's path only: the JWKS of signed pipelines are read here
            # (every queue the public key; the bootstrap queue the private one too), decrypted through SSM only.
            statements.append(
                {"sid": "ReadPipelineSigningKeys", "actions": ["ssm:GetParameter"], "resources": list(signing_key_arns)}
            )
            statements.append(
                {
                    "sid": "DecryptPipelineSigningKeys",
                    "actions": ["kms:Decrypt"],
                    "resources": [hf_secret_key_arn],
                    "condition": [
                        {
                            "test": "StringEquals",
                            "variable": "kms:ViaService",
                            "values": [f"ssm.{region}.amazonaws.com"],
                        }
                    ],
                }
            )
        document = aws.DataAwsIamPolicyDocument(self, "document", statement=[allow(s) for s in statements])
        self.policy = aws.IamPolicy(
            self,
            "policy",
            name=name,
            description=f"CI access of the {name} agents",
            policy=document.json,
        )
        aws.IamRolePolicyAttachment(self, "attachment", role=role_name, policy_arn=self.policy.arn)


def allow(statement: Statement) -> aws.DataAwsIamPolicyDocumentStatement:
    """An Allow statement of the provider's policy document, from the pure shape."""
    conditions = [aws.DataAwsIamPolicyDocumentStatementCondition(**c) for c in statement.get("condition", [])]
    return aws.DataAwsIamPolicyDocumentStatement(
        effect="Allow",
        sid=statement["sid"],
        actions=statement["actions"],
        resources=statement["resources"],
        condition=conditions or None,
    )
