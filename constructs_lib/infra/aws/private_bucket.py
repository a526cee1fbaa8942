"""PrivateBucket: an S3 bucket that is versioned, encrypted and never public.

Every bucket also gets a lifecycle configuration (incomplete uploads and old
versions do not pile up; a cache can expire its objects), S3 events sent to
EventBridge (so that writes can be audited or alerted on without changing
the stack), and, where a log bucket is given, server access logging.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

INCOMPLETE_UPLOAD_DAYS = 7


def derived_bucket_name(base: str, suffix: str) -> str:
    """`<base>-<suffix>`, shortened to S3's 63 characters where needed."""
    tail = f"-{suffix}"
    return base[: 63 - len(tail)].rstrip(".-") + tail


class PrivateBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: str,
        keep: bool = False,
        encryption: Literal["kms", "s3"] = "kms",
        kms_key_arn: Optional[str] = None,
        noncurrent_days: int = 90,
        expire_days: Optional[int] = None,
        log_bucket: Optional[str] = None,
        log_bucket_ready: Sequence[Any] = (),
    ):
        super().__init__(scope, id)
        self.bucket = aws.S3Bucket(self, "bucket", bucket=bucket, lifecycle={"prevent_destroy": True} if keep else None)
        aws.S3BucketVersioningA(
            self, "versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}
        )
        kms = encryption == "kms"
        default = aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms" if kms else "AES256",  # SSE-S3: what S3 access-log delivery requires of its target
            kms_master_key_id=kms_key_arn if kms else None,
        )
        aws.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                aws.S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default,
                    bucket_key_enabled=True if kms else None,
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
        rules = [
            aws.S3BucketLifecycleConfigurationRule(
                id="tidy-versions-and-uploads",
                status="Enabled",
                filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                abort_incomplete_multipart_upload=[
                    aws.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=INCOMPLETE_UPLOAD_DAYS
                    )
                ],
                noncurrent_version_expiration=[
                    aws.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
                ],
            )
        ]
        if expire_days is not None:
            rules.append(
                aws.S3BucketLifecycleConfigurationRule(
                    id="expire-objects",
                    status="Enabled",
                    filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[aws.S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)],
                )
            )
        aws.S3BucketLifecycleConfiguration(self, "lifecycle", bucket=self.bucket.id, rule=rules)
        aws.S3BucketNotification(self, "events", bucket=self.bucket.id, eventbridge=True)
        if log_bucket is not None:
            # S3 checks at once that it may deliver there: after the log bucket's policy (`log_bucket_ready`).
            aws.S3BucketLoggingA(
                self,
                "access-logging",
                bucket=self.bucket.id,
                target_bucket=log_bucket,
                target_prefix=f"{bucket}/",
                depends_on=list(log_bucket_ready),
            )

    @property
    def arn(self) -> str:
        return self.bucket.arn
