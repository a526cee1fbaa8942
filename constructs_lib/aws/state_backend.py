"""StateBackend: the S3 bucket and DynamoDB lock table behind remote state."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.aws.private_bucket import PrivateBucket
from constructs_lib.providers import aws


class StateBackend(Construct):
    """A private bucket kept on destroy, plus the lock table.

    Kept in a stack of its own (with local state), as the reference keeps its
    remote-state module apart: every other AWS stack stores its state here.
    """

    def __init__(self, scope: Construct, id: str, *, bucket: str, lock_table: str):
        super().__init__(scope, id)
        self.bucket = PrivateBucket(self, "state", bucket=bucket, keep=True)
        self.lock_table = aws.DynamodbTable(
            self,
            "locks",
            name=lock_table,
            billing_mode="PAY_PER_REQUEST",
            hash_key="LockID",
            attribute=[aws.DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True},
        )
