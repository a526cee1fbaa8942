"""HostScripts: the boot script the Elastic CI Stack's instances fetch (its BootstrapScriptUrl).

Every AWS queue's instances run constructs_lib/infra/host/block-container-metadata.sh
at boot, so that containers reach no instance metadata service on the stack's
own AMI too (the toolkit's AMIs carry the same rule; running it twice is
harmless). The script is an object of a private bucket of the region. The
instances fetch it while they boot, which can be before their role's policy
exists (the policy names the role the stack creates), so the bucket's own
policy grants the read: to the instance roles of the region's queues, by
name, and to nothing else. The script holds no secret; the bucket uses
S3-managed keys so that no key policy has to name roles that do not exist yet.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.aws.private_bucket import PrivateBucket
from constructs_lib.infra.host import BLOCK_CONTAINER_METADATA, for_terraform
from constructs_lib.infra.jsii.providers import aws

KEY = "boot/block-container-metadata.sh"


class HostScripts(Construct):
    def __init__(self, scope: Construct, id: str, *, bucket: str, role_names: list[str], account_id: str, partition: str):
        super().__init__(scope, id)
        self.bucket = PrivateBucket(self, "bucket", bucket=bucket, encryption="s3", noncurrent_days=30)
        self.script = aws.S3Object(
            self,
            "block-container-metadata",
            bucket=self.bucket.bucket.id,
            key=KEY,
            content=for_terraform(BLOCK_CONTAINER_METADATA.read_text(encoding="utf-8")),
            content_type="text/x-shellscript",
        )
        self.url = f"s3://{bucket}/{KEY}"
        roles = [f"arn:{partition}:iam::{account_id}:role/{name}" for name in sorted(role_names)]
        document = aws.DataAwsIamPolicyDocument(
            self,
            "read",
            statement=[
                aws.DataAwsIamPolicyDocumentStatement(
                    sid="InstancesReadTheBootScript",
                    effect="Allow",
                    principals=[aws.DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                    actions=["s3:GetObject"],
                    resources=[f"arn:{partition}:s3:::{bucket}/{KEY}"],
                    condition=[
                        aws.DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:PrincipalAccount", values=[account_id]),
                        aws.DataAwsIamPolicyDocumentStatementCondition(test="ArnEquals", variable="aws:PrincipalArn", values=roles),
                    ],
                )
            ],
        )
        self.policy = aws.S3BucketPolicy(self, "policy", bucket=self.bucket.bucket.id, policy=document.json)
        # What an instance needs before it boots: the object and the right to read it.
        self.ready = [self.script, self.policy]
