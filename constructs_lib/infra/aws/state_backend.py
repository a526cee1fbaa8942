"""StateBackend: the S3 bucket and DynamoDB lock table behind remote state."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.aws.access_log_bucket import AccessLogBucket
from constructs_lib.infra.aws.encryption_key import EncryptionKey
from constructs_lib.infra.aws.private_bucket import PrivateBucket, derived_bucket_name
from constructs_lib.infra.jsii.providers import aws

KEY_ALIAS = "buildkite-terraform-state"


class StateBackend(Construct):
    """A private bucket kept on destroy, its access log, and the lock table.

    Kept in a stack of its own (with local state), as the reference keeps its
    remote-state module apart: every other AWS stack stores its state here.
    The bucket and the table are encrypted with a key of their own.
    """

    def __init__(self, scope: Construct, id: str, *, bucket: str, lock_table: str):
        super().__init__(scope, id)
        identity = aws.DataAwsCallerIdentity(self, "account")
        partition = aws.DataAwsPartition(self, "partition")
        self.key = EncryptionKey(
            self,
            "key",
            alias=KEY_ALIAS,
            description="Terraform state of the Buildkite CI stacks",
            account_id=identity.account_id,
            partition=partition.partition,
        )
        self.access_logs = AccessLogBucket(
            self,
            "access-logs",
            bucket=derived_bucket_name(bucket, "access-logs"),
            source_buckets=[bucket],
            account_id=identity.account_id,
            partition=partition.partition,
        )
        self.bucket = PrivateBucket(
            self,
            "state",
            bucket=bucket,
            keep=True,
            kms_key_arn=self.key.arn,
            log_bucket=self.access_logs.bucket.bucket.id,
            log_bucket_ready=[self.access_logs.policy],
        )
        self.lock_table = aws.DynamodbTable(
            self,
            "locks",
            name=lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[aws.DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
        )
