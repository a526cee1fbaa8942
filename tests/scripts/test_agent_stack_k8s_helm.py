"""The helm commands for agent-stack-k8s come from queues.yaml and carry no token."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from constructs_lib.queues.loader import load_queues, parse_queues
from scripts import agent_stack_k8s_helm as helm
from tests.conftest import PLANTED_SECRETS, REPO
from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES


def test_one_release_per_gke_queue_pinned_to_its_pool():
    lines = helm.commands(load_queues(ALL_FEATURES))
    text = "\n".join(lines)
    releases = [line.split()[3] for line in lines if line.startswith("helm upgrade --install")]
    assert releases == [
        "agent-stack-k8s-a100-queue",
        "agent-stack-k8s-gke-l4-1",
        "agent-stack-k8s-gke-l4-4",
        "agent-stack-k8s-k8s-cpu",
    ]
    assert "--set-json 'config.tags=[\"queue=gke-l4-4\"]'" in text
    assert '--set-json \'config.pod-spec-patch={"nodeSelector":{"buildkite-queue":"gke-l4-4"}}\'' in text
    assert f"--version {helm.CHART_VERSION}" in text and "--set agentStackSecret=buildkite-agent-token" in text
    assert "gcloud container clusters get-credentials vllm-ci --region us-central1 --project vllm-ci-infra" in text
    # The token is piped from Secret Manager; no command line carries it.
    assert "--set agentToken" not in text
    assert "--secret=buildkite-agent-token --project=vllm-ci-infra" in text
    assert "NOTE" not in text  # GKE is enabled in this file


def test_default_file_names_its_kubernetes_queues_and_warns_that_gke_is_off():
    text = "\n".join(helm.commands(load_queues(REPO / "queues.yaml")))
    assert "gcp.gke.enabled is false" in text
    for queue in ("gke-l4-1", "gke-l4-4"):
        assert f'config.tags=["queue={queue}"]' in text
    # Queues of the partners' clusters are installed there, not on GKE.
    for queue in ("mithril-h100-pool", "b200-k8s", "a100_queue"):
        assert f"queue={queue}" not in text


def test_output_is_shellcheck_clean_and_holds_no_planted_secret(tmp_path, monkeypatch):
    for name, value in PLANTED_SECRETS.items():
        monkeypatch.setenv(name, value)
    result = subprocess.run(
        [sys.executable, "-m", "scripts.agent_stack_k8s_helm", "--queues", str(ALL_FEATURES)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not any(value in result.stdout for value in PLANTED_SECRETS.values())
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        print("SKIP (shellcheck part): shellcheck is not installed")
        return
    script = tmp_path / "install.sh"
    script.write_text(result.stdout)
    check = subprocess.run([shellcheck, "--shell=bash", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_queues_of_other_clusters_are_left_out():
    text = ALL_FEATURES.read_text().replace(
        "  k8s-cpu:\n    kubernetes: {}\n", "  k8s-cpu:\n    kubernetes: {cluster: vllm-ci}\n"
    )
    text = text.replace("      cpu:\n        queue: k8s-cpu\n", "      cpu:\n        queue: gke-l4-1\n")
    text += "  elsewhere:\n    kubernetes: {cluster: on-prem}\n"
    model = parse_queues(text.encode(), "queues.yaml")
    assert helm.gke_queues(model) == ["a100-queue", "gke-l4-1", "gke-l4-4", "k8s-cpu"]


def test_a_file_without_gke_is_refused_in_one_line(tmp_path):
    text = ALL_FEATURES.read_text()
    start, end = text.index("  gke:\n"), text.index("routing:\n")
    bad = tmp_path / "queues.yaml"
    bad.write_text(text[:start] + text[end:])
    assert helm.main(["--queues", str(bad)]) == 2


def test_bad_queues_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "queues.yaml"
    bad.write_text("queues: []\n")
    assert helm.main(["--queues", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith(f"{bad}:") for line in err)


def test_the_hf_token_secret_the_pods_reference_is_created_through_a_pipe():
    from constructs_lib.bootstrap.runners import HF_TOKEN_SECRET

    lines = helm.commands(load_queues(REPO / "queues.yaml"))
    at = next(i for i, line in enumerate(lines) if "--secret=hf-token " in line)
    assert lines[at].startswith("gcloud secrets versions access latest --secret=hf-token ")
    assert f"create secret generic {HF_TOKEN_SECRET} --from-file=token=/dev/stdin" in lines[at + 1]
    assert lines[at + 1].lstrip().startswith("| kubectl")  # the value goes through the pipe, nowhere else


def helm_lines(text: str) -> dict[str, str]:
    """Each helm command (its continuation lines joined) by release name."""
    joined = text.replace(" \\\n  ", " ")
    return {line.split()[3]: line for line in joined.splitlines() if line.startswith("helm upgrade --install")}


def test_each_cluster_gets_its_own_token_secret_and_every_agent_verifies():
    # Two clusters, the GKE queues split between them, signing on.
    text = (
        REPO.joinpath("queues.yaml")
        .read_text()
        .replace(
            "  gke-l4-4:\n",
            "  gke-l4-4:\n    builds: [release]\n    buildkite: {cluster: release, verification_failure: block}\n",
            1,
        )
    )
    text = text.replace(
        "      agent_token_path: /bk_agent_token_cluster_release\n",
        "      agent_token_path: /bk_agent_token_cluster_release\n      agent_token_secret: buildkite-agent-token-release\n",
        1,
    )
    model = parse_queues(text.encode(), "queues.yaml")
    out = "\n".join(helm.commands(model))
    releases = helm_lines(out)
    assert "--set agentStackSecret=buildkite-agent-token-ci " in releases["agent-stack-k8s-gke-l4-1"]
    assert "--set agentStackSecret=buildkite-agent-token-release " in releases["agent-stack-k8s-gke-l4-4"]
    for secret, k8s in (
        ("buildkite-agent-token", "buildkite-agent-token-ci"),
        ("buildkite-agent-token-release", "buildkite-agent-token-release"),
    ):
        assert (
            f"--secret={secret} --project=vllm-ci-infra \\\n  | kubectl -n buildkite create secret generic {k8s} "
            in out
        )
    # The public key goes through a pipe into the secret the agents mount; each release verifies, warn or block from queues.yaml.
    assert (
        "--secret=buildkite-verification-jwks --project=vllm-ci-infra \\\n  | kubectl -n buildkite create secret generic buildkite-verification-jwks --from-file=key=/dev/stdin"
        in out
    )
    for release, behaviour in (("agent-stack-k8s-gke-l4-1", "warn"), ("agent-stack-k8s-gke-l4-4", "block")):
        config = json.loads(re.search(r"'config\.agent-config=(\{.*?\})'", releases[release]).group(1))
        assert config == {
            "no-local-hooks": True,
            "verification-jwks-file": "key",
            "verification-failure-behavior": behaviour,
            "verificationJWKSVolume": {
                "name": "buildkite-verification-jwks",
                "secret": {"secretName": "buildkite-verification-jwks"},
            },
        }


def test_without_signing_agents_only_refuse_local_hooks():
    releases = helm_lines("\n".join(helm.commands(load_queues(ALL_FEATURES))))
    for line in releases.values():
        config = json.loads(re.search(r"'config\.agent-config=(\{.*?\})'", line).group(1))
        assert config == {"no-local-hooks": True}
