"""private_bucket: a GCS bucket that is versioned, uniform-access, never public and kept on destroy."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from constructs_lib.infra.jsii.providers import google


def private_bucket(scope: Construct, id: str, *, name: str, location: str, purpose: str, **settings: Any) -> Any:
    """The state bucket and its log bucket alike; `settings` adds the bucket's own (logging, lifecycle rules)."""
    return google.StorageBucket(
        scope,
        id,
        name=name,
        location=location,
        versioning={"enabled": True},
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        force_destroy=False,
        labels={"purpose": purpose},
        lifecycle={"prevent_destroy": True},
        **settings,
    )
