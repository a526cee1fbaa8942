"""PrivateRegistry: private ECR repositories, of the CI images or of their layer caches.

Each repository scans on push, is encrypted with the region's key, and keeps
itself small by its lifecycle policy: for images, untagged ones go after a
few days and only the newest are kept (`lifecycle_policy`); for caches,
every entry goes some days after it was pushed (`expiry_policy`). Tags stay
mutable: the default branch moves `latest`, a cache rewrites its refs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws


def lifecycle_policy(untagged_days: int, keep_images: int) -> str:
    rules: list[dict[str, Any]] = [
        {
            "rulePriority": 1,
            "description": f"untagged images after {untagged_days} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": untagged_days,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"all but the newest {keep_images} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


def expiry_policy(days: int) -> str:
    """A cache's policy: every entry goes `days` after it was pushed (a cache refills itself)."""
    rules = [
        {
            "rulePriority": 1,
            "description": f"every entry after {days} days",
            "selection": {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": days,
            },
            "action": {"type": "expire"},
        }
    ]
    return json.dumps({"rules": rules}, sort_keys=True)


class PrivateRegistry(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        repositories: list[str],
        kms_key_arn: str,
        policy: str,
    ):
        super().__init__(scope, id)
        for name in repositories:
            # Repository names may hold `/`; construct ids may not.
            node = re.sub(r"[^A-Za-z0-9-]", "-", name)
            repository = aws.EcrRepository(
                self,
                node,
                name=name,
                image_tag_mutability="MUTABLE",
                image_scanning_configuration=aws.EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                encryption_configuration=[
                    aws.EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=kms_key_arn)
                ],
            )
            aws.EcrLifecyclePolicy(self, f"{node}-lifecycle", repository=repository.name, policy=policy)
