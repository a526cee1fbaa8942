"""PrivateRegistry: private ECR repositories, scanned on push, encrypted with the region's key, with a lifecycle policy."""

from __future__ import annotations

import json

from constructs_lib.infra.aws.private_registry import PrivateRegistry, expiry_policy, lifecycle_policy
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_each_repository_is_scanned_encrypted_and_kept_tidy():
    policy = lifecycle_policy(7, 100)
    stack, _ = synth(
        lambda s: PrivateRegistry(s, "r", repositories=["ci/test", "cache"], kms_key_arn="arn:kms", policy=policy)
    )
    repositories = {r["name"]: r for r in of_type(stack, "aws_ecr_repository")}
    assert set(repositories) == {"ci/test", "cache"}
    for repository in repositories.values():
        assert repository["image_scanning_configuration"] == {"scan_on_push": True}
        assert repository["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": "arn:kms"}]
    policies = of_type(stack, "aws_ecr_lifecycle_policy")
    assert len(policies) == 2 and all(p["policy"] == policy for p in policies)


def test_the_policies_say_what_they_remove():
    tidy = json.loads(lifecycle_policy(7, 100))["rules"]
    assert [r["selection"]["countType"] for r in tidy] == ["sinceImagePushed", "imageCountMoreThan"]
    assert tidy[0]["selection"]["countNumber"] == 7 and tidy[1]["selection"]["countNumber"] == 100
    (expire,) = json.loads(expiry_policy(14))["rules"]
    assert expire["selection"] == {
        "tagStatus": "any",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    }
