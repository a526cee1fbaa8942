"""private_bucket: a GCS bucket that is versioned, uniform-access, never public and kept on destroy."""

from __future__ import annotations

from typing import Optional

from cdktf import ITerraformDependable
from constructs import Construct

from constructs_lib.infra.jsii.providers import google


def private_bucket(
    scope: Construct,
    id: str,
    *,
    name: str,
    location: str,
    purpose: str,
    logging: Optional[google.StorageBucketLogging] = None,
    lifecycle_rule: Optional[list[google.StorageBucketLifecycleRule]] = None,
    depends_on: Optional[list[ITerraformDependable]] = None,
) -> google.StorageBucket:
    """The state bucket and its log bucket alike, with the bucket's own logging and lifecycle rules."""
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
        logging=logging,
        lifecycle_rule=lifecycle_rule,
        depends_on=depends_on,
    )
