"""PrivateBucket: versioned, encrypted, never public, tidy."""

from __future__ import annotations

from constructs_lib.infra.aws.private_bucket import PrivateBucket
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_a_private_bucket_is_never_public_and_encrypted_with_the_key():
    stack, _ = synth(lambda s: PrivateBucket(s, "b", bucket="acme-cache", kms_key_arn="arn:kms", expire_days=30))
    (block,) = of_type(stack, "aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (versioning,) = of_type(stack, "aws_s3_bucket_versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    (encryption,) = of_type(stack, "aws_s3_bucket_server_side_encryption_configuration")
    rule = encryption["rule"][0]
    assert rule["apply_server_side_encryption_by_default"] == {
        "kms_master_key_id": "arn:kms",
        "sse_algorithm": "aws:kms",
    }
    (lifecycle,) = of_type(stack, "aws_s3_bucket_lifecycle_configuration")
    assert [r["id"] for r in lifecycle["rule"]] == ["tidy-versions-and-uploads", "expire-objects"]
    assert lifecycle["rule"][1]["expiration"] == [{"days": 30}]


def test_sse_s3_where_a_key_policy_cannot_name_its_readers_yet():
    stack, _ = synth(lambda s: PrivateBucket(s, "b", bucket="acme-boot", encryption="s3"))
    (encryption,) = of_type(stack, "aws_s3_bucket_server_side_encryption_configuration")
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}


def test_a_kept_bucket_survives_a_destroy():
    stack, _ = synth(lambda s: PrivateBucket(s, "b", bucket="acme-state", kms_key_arn="arn:kms", keep=True))
    (bucket,) = of_type(stack, "aws_s3_bucket")
    assert bucket["lifecycle"] == {"prevent_destroy": True}
