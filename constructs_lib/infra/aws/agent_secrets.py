"""AgentSecrets: where the agent token and the HF token live in one region."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

# Written once, at creation, as a write-only value (value_wo): Terraform sends
# it and keeps nothing of it. The operator then overwrites it with the real
# token (README: "Tokens and signing keys"), which Terraform never reads back either, so no
# token is in a plan, a synthesized file or the state. (A plain `value`, even
# with ignore_changes, is refreshed into the state after the operator's
# put-parameter; the moto test checks that this does not happen.)
PLACEHOLDER = "set-by-operator"
# Raising it makes Terraform write the placeholder again: never needed.
PLACEHOLDER_VERSION = 1


class AgentSecrets(Construct):
    """The SSM SecureString parameter of each agent-token path and the HF-token secret container.

    Both are encrypted with the region's key: the parameters name it by its
    alias (`kms_key_alias`), as the operator's put-parameter does, so that the
    two agree; the secret by its ARN. The Elastic CI Stack is told the key
    (BuildkiteAgentTokenParameterStoreKMSKey) and grants its instances
    decrypt; the HF readers' policies grant it too.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        token_paths: list[str],
        hf_secret_name: str,
        name: str,
        kms_key_alias: str,
        kms_key_arn: str,
        signing_keys: dict[str, str] | None = None,
    ):
        super().__init__(scope, id)
        for index, path in enumerate(sorted(set(token_paths))):
            self._parameter(f"agent-token-{index}", path, "Buildkite agent token", f"{name}-agent-token", kms_key_alias)
        # The JWKS of signed pipelines, by purpose (public, private): set out of band as the tokens are.
        for purpose, path in sorted((signing_keys or {}).items()):
            self._parameter(
                f"{purpose}-jwks", path, f"{purpose} JWKS of signed pipelines", f"{name}-{purpose}-jwks", kms_key_alias
            )
        # A secret container without a version: the value is put out of band.
        self.hf_token = aws.SecretsmanagerSecret(
            self,
            "hf-token",
            name=hf_secret_name,
            description="Hugging Face token for CI jobs; the value is set out of band",
            recovery_window_in_days=7,
            kms_key_id=kms_key_arn,
        )

    def _parameter(self, id: str, path: str, what: str, tag: str, kms_key_alias: str) -> None:
        aws.SsmParameter(
            self,
            id,
            name=path,
            type="SecureString",
            key_id=kms_key_alias,
            value_wo=PLACEHOLDER,
            value_wo_version=PLACEHOLDER_VERSION,
            description=f"{what}; the value is set out of band",
            tags={"Name": tag},
        )
