"""StateBucket (GCS): the Terraform state's bucket, private and kept, logging its access once logs may be written."""

from __future__ import annotations

from constructs_lib.infra.gcp.state_bucket import StateBucket
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_state_bucket_is_private_kept_versioned_and_logs_its_access():
    stack, _ = synth(
        lambda s: StateBucket(s, "s", name="acme-state", location="US", log_bucket="acme-logs"), provider="google"
    )
    (bucket,) = of_type(stack, "google_storage_bucket")
    assert bucket["name"] == "acme-state" and bucket["labels"] == {"purpose": "terraform-state"}
    assert bucket["public_access_prevention"] == "enforced" and bucket["uniform_bucket_level_access"] is True
    assert bucket["versioning"] == {"enabled": True} and bucket["lifecycle"] == {"prevent_destroy": True}
    assert bucket["force_destroy"] is False
    assert bucket["logging"] == {"log_bucket": "acme-logs"}
