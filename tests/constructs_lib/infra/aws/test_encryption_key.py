"""EncryptionKey: a rotating customer key, its alias, and a policy that names each service it serves."""

from __future__ import annotations

import json

from constructs_lib.infra.aws.encryption_key import EncryptionKey, ServiceGrant
from tests.constructs_lib.infra.construct_synth import of_type, synth

GRANT = ServiceGrant(
    "LogsEncrypt", "logs.us-west-2.amazonaws.com", "aws:logs:arn", "arn:aws:logs:us-west-2:123:log-group:x"
)


def test_the_key_rotates_and_its_alias_names_it():
    stack, _ = synth(
        lambda s: EncryptionKey(
            s, "k", alias="buildkite-x", description="d", account_id="123", partition="aws", services=(GRANT,)
        )
    )
    (key,) = of_type(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    (alias,) = of_type(stack, "aws_kms_alias")
    assert alias["name"] == "alias/buildkite-x"
    (document,) = of_type(stack, "aws_iam_policy_document", "data")
    statements = {s["sid"]: s for s in document["statement"]}
    grant = statements["LogsEncrypt"]
    assert grant["principals"] == [{"identifiers": ["logs.us-west-2.amazonaws.com"], "type": "Service"}]
    # The service may use the key for its own resource only (a confused deputy gets nothing).
    assert {
        "test": "ArnLike",
        "values": ["arn:aws:logs:us-west-2:123:log-group:x"],
        "variable": "kms:EncryptionContext:aws:logs:arn",
    } in grant["condition"] or json.dumps(grant).count("arn:aws:logs:us-west-2:123:log-group:x") == 1
