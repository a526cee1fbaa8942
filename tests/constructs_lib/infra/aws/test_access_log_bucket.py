"""AccessLogBucket (S3): S3 may deliver the named buckets' access logs into it, for this account only."""

from __future__ import annotations

from constructs_lib.infra.aws.access_log_bucket import AccessLogBucket
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_only_log_delivery_of_the_accounts_named_buckets_writes():
    stack, _ = synth(
        lambda s: AccessLogBucket(
            s, "a", bucket="acme-logs", source_buckets=["acme-state"], account_id="123", partition="aws"
        )
    )
    (document,) = of_type(stack, "aws_iam_policy_document", "data")
    (statement,) = document["statement"]
    assert statement["principals"] == [{"identifiers": ["logging.s3.amazonaws.com"], "type": "Service"}]
    assert statement["actions"] == ["s3:PutObject"]
    conditions = {c["variable"]: c["values"] for c in statement["condition"]}
    assert conditions == {"aws:SourceAccount": ["123"], "aws:SourceArn": ["arn:aws:s3:::acme-state"]}
    (block,) = of_type(stack, "aws_s3_bucket_public_access_block")
    assert block["block_public_policy"] is True
