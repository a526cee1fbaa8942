"""CiAccessPolicy: what one queue's agents may touch, attached to its instance role.

Least privilege by queue: every queue pulls the CI images and reads the build
cache; only builders push images (registry_access says how, by registry) and
write the cache; only queues that need it read the HF token. The document comes from the aws_iam_policy_document data
source (not a JSON string) so that reviewers' tools can evaluate it.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.aws.registry_access import RegistryAccess
from constructs_lib.infra.jsii.providers import aws

CACHE_READ = ["s3:GetObject", "s3:ListBucket"]
CACHE_WRITE = ["s3:PutObject", "s3:AbortMultipartUpload"]


class CiAccessPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        role_name: str,
        registry: RegistryAccess,
        cache_bucket_arn: str | None,
        hf_secret_arn: str,
        hf_secret_key_arn: str,
        region: str,
        builder: bool,
        needs_hf_token: bool,
    ):
        super().__init__(scope, id)
        statements: list = []
        statements += [dict(s) for s in registry.pull]
        if builder:
            statements += [dict(s) for s in registry.push]
        if cache_bucket_arn:
            statements.append({"sid": "ReadBuildCache", "actions": CACHE_READ, "resources": [cache_bucket_arn, f"{cache_bucket_arn}/*"]})
            if builder:
                statements.append({"sid": "WriteBuildCache", "actions": CACHE_WRITE, "resources": [f"{cache_bucket_arn}/*"]})
        if needs_hf_token:
            statements.append({"sid": "ReadHfToken", "actions": ["secretsmanager:GetSecretValue"], "resources": [hf_secret_arn]})
            # The secret is encrypted with the region's key: decrypt it, through Secrets Manager only.
            statements.append(
                {
                    "sid": "DecryptHfToken",
                    "actions": ["kms:Decrypt"],
                    "resources": [hf_secret_key_arn],
                    "condition": [
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="kms:ViaService", values=[f"secretsmanager.{region}.amazonaws.com"]
                        )
                    ],
                }
            )
        document = aws.DataAwsIamPolicyDocument(
            self, "document", statement=[aws.DataAwsIamPolicyDocumentStatement(effect="Allow", **s) for s in statements]
        )
        self.policy = aws.IamPolicy(
            self,
            "policy",
            name=name,
            description=f"CI access of the {name} agents",
            policy=document.json,
        )
        aws.IamRolePolicyAttachment(self, "attachment", role=role_name, policy_arn=self.policy.arn)
