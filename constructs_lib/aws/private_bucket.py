"""PrivateBucket: an S3 bucket that is versioned, encrypted and never public."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.providers import aws


class PrivateBucket(Construct):
    def __init__(self, scope: Construct, id: str, *, bucket: str, keep: bool = False):
        super().__init__(scope, id)
        self.bucket = aws.S3Bucket(self, "bucket", bucket=bucket, lifecycle={"prevent_destroy": True} if keep else None)
        aws.S3BucketVersioningA(self, "versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"})
        aws.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                aws.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms"
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        aws.S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )

    @property
    def arn(self) -> str:
        return self.bucket.arn
