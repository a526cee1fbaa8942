"""The GCP state stack: the GCS bucket the other GCP stacks keep their state in, and its access log."""

from __future__ import annotations

from tests.constructs_lib.infra.stacks.synth_helpers import resources


def buckets(stack: dict) -> dict[str, tuple[str, dict]]:
    """Buckets by name: (logical id, block)."""
    return {b["name"]: (key, b) for key, b in resources(stack, "google_storage_bucket").items()}


def test_state_bucket(default_stacks):
    stack = default_stacks["gcp-state"]
    # Local: it creates the bucket the others use. The path is relative to the stack's folder (where
    # terraform runs), so the bytes do not depend on the synth's folder and the state outlives a re-synth.
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.gcp-state.tfstate"}}
    _, bucket = buckets(stack)["vllm-ci-terraform-state-gcp"]
    assert bucket["location"] == "US"
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"]["prevent_destroy"] is True
    assert sorted(stack["resource"]) == ["google_storage_bucket", "google_storage_bucket_iam_member"]


def test_state_bucket_access_is_logged_to_a_private_log_bucket(default_stacks):
    stack = default_stacks["gcp-state"]
    found = buckets(stack)
    assert sorted(found) == ["vllm-ci-terraform-state-gcp", "vllm-ci-terraform-state-gcp-access-logs"]
    _, state = found["vllm-ci-terraform-state-gcp"]
    logs_id, logs = found["vllm-ci-terraform-state-gcp-access-logs"]
    assert state["logging"] == {"log_bucket": f"${{google_storage_bucket.{logs_id}.name}}"}
    assert logs["location"] == state["location"]
    assert logs["versioning"] == {"enabled": True}
    assert logs["uniform_bucket_level_access"] is True
    assert logs["public_access_prevention"] == "enforced"
    assert logs["force_destroy"] is False
    assert logs["lifecycle"]["prevent_destroy"] is True
    assert logs["lifecycle_rule"] == [
        {"action": {"type": "Delete"}, "condition": {"age": 365}},
        {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": 30}},
    ]
    assert "logging" not in logs  # a bucket cannot log into itself (accepted for CKV_GCP_62 in security/)
    # Cloud Storage delivers the logs as its analytics group, which may only create objects there;
    # the state bucket starts logging once that grant exists.
    ((grant_id, grant),) = resources(stack, "google_storage_bucket_iam_member").items()
    assert {k: v for k, v in grant.items() if k != "//"} == {
        "bucket": f"${{google_storage_bucket.{logs_id}.name}}",
        "role": "roles/storage.objectCreator",
        "member": "group:cloud-storage-analytics@google.com",
    }
    assert state["depends_on"] == [f"google_storage_bucket_iam_member.{grant_id}"]
