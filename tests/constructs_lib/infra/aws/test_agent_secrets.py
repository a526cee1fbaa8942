"""AgentSecrets: the containers of the tokens and keys, written once with a write-only placeholder."""

from __future__ import annotations

from constructs_lib.infra.aws.agent_secrets import PLACEHOLDER, AgentSecrets
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_tokens_and_keys_are_secure_strings_with_a_write_only_placeholder():
    stack, _ = synth(
        lambda s: AgentSecrets(
            s,
            "secrets",
            token_paths=["/bk/ci", "/bk/ci", "/bk/release"],
            hf_secret_name="ci/hf-token",
            name="buildkite-x",
            kms_key_alias="alias/buildkite-x",
            kms_key_arn="arn:kms",
            signing_keys={"public": "/bk/public-jwks", "private": "/bk/private-jwks"},
        )
    )
    parameters = {p["name"]: p for p in of_type(stack, "aws_ssm_parameter")}
    assert sorted(parameters) == ["/bk/ci", "/bk/private-jwks", "/bk/public-jwks", "/bk/release"]  # each path once
    for parameter in parameters.values():
        assert parameter["type"] == "SecureString" and parameter["key_id"] == "alias/buildkite-x"
        assert parameter["value_wo"] == PLACEHOLDER and "value" not in parameter
    (secret,) = of_type(stack, "aws_secretsmanager_secret")
    assert secret["name"] == "ci/hf-token" and secret["kms_key_id"] == "arn:kms"
    assert not of_type(stack, "aws_secretsmanager_secret_version"), "the value is put out of band"
