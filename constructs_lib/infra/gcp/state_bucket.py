"""StateBucket: the GCS bucket behind the GCP stacks' remote state."""

from __future__ import annotations

from typing import Any, Sequence

from constructs import Construct

from constructs_lib.infra.gcp.private_bucket import private_bucket
from constructs_lib.infra.jsii.providers import google


class StateBucket(Construct):
    """Versioned, uniform bucket-level access, public access prevented, kept on destroy,
    its access logged to `log_bucket`.

    Created by a stack of its own with local state, as the reference keeps
    its remote-state module apart: every other GCP stack stores its state here.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        location: str,
        log_bucket: str,
        log_bucket_ready: Sequence[Any] = (),
    ):
        super().__init__(scope, id)
        self.bucket = private_bucket(
            self,
            "bucket",
            name=name,
            location=location,
            purpose="terraform-state",
            logging=google.StorageBucketLogging(log_bucket=log_bucket),
            # Logs start flowing at once: only after Cloud Storage may write them (`log_bucket_ready`).
            depends_on=list(log_bucket_ready) or None,
        )
