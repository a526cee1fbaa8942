"""The GCP state stack: the GCS bucket the other GCP stacks keep their state in."""

from __future__ import annotations

from tests.constructs_lib.stacks.gcp_fixtures import default_stacks  # noqa: F401  (fixture)
from tests.constructs_lib.stacks.synth_helpers import resources


def test_state_bucket(default_stacks):
    stack = default_stacks["gcp-state"]
    assert "backend" not in stack["terraform"]  # local: it creates the bucket the others use
    (bucket,) = resources(stack, "google_storage_bucket").values()
    assert (bucket["name"], bucket["location"]) == ("vllm-ci-terraform-state-gcp", "US")
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["force_destroy"] is False
    assert bucket["lifecycle"]["prevent_destroy"] is True
    assert list(stack["resource"]) == ["google_storage_bucket"]
