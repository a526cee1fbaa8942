"""AgentSecrets: the Secret Manager secrets the agents read, and who may read them.

Only the containers are managed here: an operator adds the values out of band
(`gcloud secrets versions add`), so no token is ever in a plan, a synthesized
file or the Terraform state. Access is granted per secret (secret-level IAM),
not per project: the reader can read these secrets and no other.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.jsii.providers import google

ACCESSOR = "roles/secretmanager.secretAccessor"


class AgentSecrets(Construct):
    def __init__(self, scope: Construct, id: str, *, project: str, secret_ids: dict[str, str], reader: str):
        super().__init__(scope, id)
        self.secrets = {}
        self.grants = []
        for key, secret_id in sorted(secret_ids.items()):
            secret = google.SecretManagerSecret(
                self,
                key,
                secret_id=secret_id,
                project=project,
                replication={"auto": {}},
                labels={"purpose": purpose(key)},
            )
            self.secrets[key] = secret
            self.grants.append(
                google.SecretManagerSecretIamMember(
                    self, f"{key}-reader", project=project, secret_id=secret.secret_id, role=ACCESSOR, member=reader
                )
            )


def purpose(key: str) -> str:
    """The secret's purpose label: every cluster's agent token is an agent token (label values are at most 63 characters)."""
    return "agent-token" if key.startswith("agent_token") else key.replace("_", "-")
