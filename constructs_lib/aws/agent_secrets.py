"""AgentSecrets: where the agent token and the HF token live in one region."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.providers import aws

# Written at creation only; the operator overwrites it with the real token
# (README: "Tokens"). Terraform ignores later changes to the value, so the
# real token is never in a plan, a synthesized file or the state.
PLACEHOLDER = "set-by-operator"


class AgentSecrets(Construct):
    """The SSM SecureString parameter of each agent-token path and the HF-token secret container.

    Both are encrypted with the region's key (`kms_key_id`, `kms_key_arn`): the
    Elastic CI Stack is told the key (BuildkiteAgentTokenParameterStoreKMSKey)
    and grants its instances decrypt; the HF readers' policies grant it too.
    """

    def __init__(self, scope: Construct, id: str, *, token_paths: list[str], hf_secret_name: str, name: str, kms_key_id: str, kms_key_arn: str):
        super().__init__(scope, id)
        self.token_parameters = {}
        for index, path in enumerate(sorted(set(token_paths))):
            self.token_parameters[path] = aws.SsmParameter(
                self,
                f"agent-token-{index}",
                name=path,
                type="SecureString",
                key_id=kms_key_id,
                value=PLACEHOLDER,
                description="Buildkite agent token; the value is set out of band",
                lifecycle={"ignore_changes": ["value"]},
                tags={"Name": f"{name}-agent-token"},
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
