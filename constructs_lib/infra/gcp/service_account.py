"""ServiceAccount: a dedicated service account and the few project roles it holds."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.jsii.providers import google


class ServiceAccount(Construct):
    def __init__(
        self, scope: Construct, id: str, *, project: str, account_id: str, display_name: str, roles: list[str]
    ):
        super().__init__(scope, id)
        self.account = google.ServiceAccount(
            self, "account", account_id=account_id, display_name=display_name, project=project
        )
        self.grants = [
            google.ProjectIamMember(self, f"role-{role.split('/')[-1]}", project=project, role=role, member=self.member)
            for role in roles
        ]

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.account.email}"
