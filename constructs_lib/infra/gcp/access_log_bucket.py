"""AccessLogBucket: where Cloud Storage writes the usage and storage logs of other buckets.

Cloud Storage delivers the logs itself, as the group
cloud-storage-analytics@google.com, which may create objects in this bucket
and do nothing else. Uniform bucket-level access, public access prevention,
versioning, and logs deleted after `retention_days` (older versions of them
30 days later). It logs nothing itself: a bucket cannot log into itself, and
a second log bucket would only move the question.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.gcp.private_bucket import private_bucket
from constructs_lib.infra.jsii.providers import google

LOG_WRITER = "group:cloud-storage-analytics@google.com"
NONCURRENT_DAYS = 30


def _delete_when(condition: google.StorageBucketLifecycleRuleCondition) -> google.StorageBucketLifecycleRule:
    return google.StorageBucketLifecycleRule(
        action=google.StorageBucketLifecycleRuleAction(type="Delete"), condition=condition
    )


class AccessLogBucket(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str, location: str, retention_days: int = 365):
        super().__init__(scope, id)
        self.bucket = private_bucket(
            self,
            "bucket",
            name=name,
            location=location,
            purpose="access-logs",
            lifecycle_rule=[
                _delete_when(google.StorageBucketLifecycleRuleCondition(age=retention_days)),
                _delete_when(google.StorageBucketLifecycleRuleCondition(days_since_noncurrent_time=NONCURRENT_DAYS)),
            ],
        )
        self.delivery = google.StorageBucketIamMember(
            self, "delivery", bucket=self.bucket.name, role="roles/storage.objectCreator", member=LOG_WRITER
        )

    @property
    def name(self) -> str:
        return self.bucket.name
