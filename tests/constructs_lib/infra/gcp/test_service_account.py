"""ServiceAccount: an account and the project roles it is given, nothing else."""

from __future__ import annotations

from constructs_lib.infra.gcp.service_account import ServiceAccount
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_account_gets_exactly_its_roles():
    roles = ["roles/logging.logWriter", "roles/monitoring.metricWriter"]
    stack, _ = synth(
        lambda s: ServiceAccount(
            s, "a", project="acme-ci-1234", account_id="bk-agents", display_name="agents", roles=roles
        ),
        provider="google",
    )
    (account,) = of_type(stack, "google_service_account")
    assert account["account_id"] == "bk-agents"
    grants = of_type(stack, "google_project_iam_member")
    assert sorted(g["role"] for g in grants) == roles
    (logical,) = stack["resource"]["google_service_account"]
    assert all(g["member"] == f"serviceAccount:${{google_service_account.{logical}.email}}" for g in grants)
