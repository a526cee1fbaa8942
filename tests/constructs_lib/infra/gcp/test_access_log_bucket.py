"""AccessLogBucket (GCS): where the state bucket logs to; private, kept, and emptied by age."""

from __future__ import annotations

from constructs_lib.infra.gcp.access_log_bucket import LOG_WRITER, AccessLogBucket
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_log_bucket_is_private_kept_and_written_by_the_log_service_alone():
    stack, _ = synth(
        lambda s: AccessLogBucket(s, "l", name="acme-logs", location="US", retention_days=90), provider="google"
    )
    (bucket,) = of_type(stack, "google_storage_bucket")
    assert bucket["public_access_prevention"] == "enforced" and bucket["uniform_bucket_level_access"] is True
    assert bucket["lifecycle"] == {"prevent_destroy": True} and bucket["versioning"] == {"enabled": True}
    assert [r["condition"] for r in bucket["lifecycle_rule"]] == [{"age": 90}, {"days_since_noncurrent_time": 30}]
    (writer,) = of_type(stack, "google_storage_bucket_iam_member")
    assert (writer["member"], writer["role"]) == (LOG_WRITER, "roles/storage.objectCreator")
