"""AgentSecrets (GCP): the secrets' containers, each readable by the agents' account alone, values out of band."""

from __future__ import annotations

from constructs_lib.infra.gcp.agent_secrets import AgentSecrets
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_each_secret_is_granted_to_the_reader_alone_and_holds_no_value():
    stack, _ = synth(
        lambda s: AgentSecrets(
            s,
            "s",
            project="acme-ci-1234",
            secret_ids={"agent_token_ci": "tok-ci", "hf_token": "hf"},
            reader="serviceAccount:a@b",
        ),
        provider="google",
    )
    secrets = {s["secret_id"]: s for s in of_type(stack, "google_secret_manager_secret")}
    assert set(secrets) == {"tok-ci", "hf"}
    assert secrets["tok-ci"]["labels"] == {"purpose": "agent-token"} and secrets["hf"]["labels"] == {
        "purpose": "hf-token"
    }
    grants = of_type(stack, "google_secret_manager_secret_iam_member")
    assert len(grants) == 2
    assert all(
        g["member"] == "serviceAccount:a@b" and g["role"] == "roles/secretmanager.secretAccessor" for g in grants
    )
    assert not of_type(stack, "google_secret_manager_secret_version")
