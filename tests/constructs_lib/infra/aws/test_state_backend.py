"""StateBackend: the Terraform state's bucket (kept, encrypted, access-logged) and its lock table."""

from __future__ import annotations

from constructs_lib.infra.aws.state_backend import StateBackend
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_lock_table_is_encrypted_with_the_states_key_and_recoverable():
    stack, _ = synth(lambda s: StateBackend(s, "st", bucket="acme-state", lock_table="acme-locks"))
    (table,) = of_type(stack, "aws_dynamodb_table")
    assert (table["name"], table["hash_key"], table["billing_mode"]) == ("acme-locks", "LockID", "PAY_PER_REQUEST")
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True and table["server_side_encryption"][
        "kms_key_arn"
    ].startswith("${aws_kms_key.")
    names = {logical: b["bucket"] for logical, b in stack["resource"]["aws_s3_bucket"].items()}
    by_name = {name: logical for logical, name in names.items()}
    assert stack["resource"]["aws_s3_bucket"][by_name["acme-state"]]["lifecycle"] == {"prevent_destroy": True}
    (logging,) = of_type(stack, "aws_s3_bucket_logging")
    # The state bucket logs its access into a bucket of its own, never into itself.
    assert logging["bucket"] == f"${{aws_s3_bucket.{by_name['acme-state']}.id}}"
    (log_bucket,) = [logical for logical, name in names.items() if name != "acme-state"]
    assert logging["target_bucket"] == f"${{aws_s3_bucket.{log_bucket}.id}}"
