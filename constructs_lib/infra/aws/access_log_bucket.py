"""AccessLogBucket: where S3 writes the server access logs of other buckets.

S3 delivers the logs itself (the logging service principal, limited by a
bucket policy to this account and to the buckets named), into a bucket
encrypted with S3-managed keys: log delivery cannot write to a bucket whose
default encryption is a KMS key. Logs are kept for `retention_days`.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.aws.private_bucket import PrivateBucket
from constructs_lib.infra.jsii.providers import aws


class AccessLogBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: str,
        source_buckets: list[str],
        account_id: str,
        partition: str,
        retention_days: int = 365,
    ):
        super().__init__(scope, id)
        self.bucket = PrivateBucket(
            self, "logs", bucket=bucket, keep=True, encryption="s3", noncurrent_days=30, expire_days=retention_days
        )
        document = aws.DataAwsIamPolicyDocument(
            self,
            "delivery",
            statement=[
                aws.DataAwsIamPolicyDocumentStatement(
                    sid="S3ServerAccessLogDelivery",
                    effect="Allow",
                    principals=[
                        aws.DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["logging.s3.amazonaws.com"]
                        )
                    ],
                    actions=["s3:PutObject"],
                    resources=[f"{self.bucket.arn}/*"],
                    condition=[
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:SourceAccount", values=[account_id]
                        ),
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="aws:SourceArn",
                            values=[f"arn:{partition}:s3:::{name}" for name in source_buckets],
                        ),
                    ],
                )
            ],
        )
        self.policy = aws.S3BucketPolicy(self, "policy", bucket=self.bucket.bucket.id, policy=document.json)
