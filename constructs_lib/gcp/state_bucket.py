"""StateBucket: the GCS bucket behind the GCP stacks' remote state."""

from __future__ import annotations

from typing import Any, Sequence

from constructs import Construct

from constructs_lib.providers import google


class StateBucket(Construct):
    """Versioned, uniform bucket-level access, public access prevented, kept on destroy,
    its access logged to `log_bucket`.

    Created by a stack of its own with local state, as the reference keeps
    its remote-state module apart: every other GCP stack stores its state here.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, location: str, log_bucket: str, log_bucket_ready: Sequence[Any] = ()):
        super().__init__(scope, id)
        self.bucket = google.StorageBucket(
            self,
            "bucket",
            name=name,
            location=location,
            versioning={"enabled": True},
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=False,
            logging=google.StorageBucketLogging(log_bucket=log_bucket),
            labels={"purpose": "terraform-state"},
            lifecycle={"prevent_destroy": True},
            # Logs start flowing at once: only after Cloud Storage may write them (`log_bucket_ready`).
            depends_on=list(log_bucket_ready) or None,
        )
