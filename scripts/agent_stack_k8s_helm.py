"""Print the commands that install Buildkite's agent-stack-k8s on the GKE cluster.

    python -m scripts.agent_stack_k8s_helm [--queues queues.yaml] [--chart-version X.Y.Z] [--namespace NS]

One helm release per Kubernetes-backed queue of queues.yaml that runs on the
optional GKE cluster (`kubernetes.cluster` absent or naming it); pods of a queue
with a node pool are pinned to that pool's nodes (label buildkite-queue).
Installing the chart stays outside Terraform. The agent token of each
queue's cluster goes from Secret Manager into a Kubernetes secret through a
pipe, and so do the public key that verifies signed jobs and the HF
token the pods reference (`hf-token-secret`, key `token`): neither appears on
a command line, in this output or in shell history. Nothing is run: review
the commands, then pipe them to a shell (`... | bash -x`) or copy them.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shlex
import sys
from typing import Any

from constructs_lib.bootstrap.runners import HF_TOKEN_SECRET
from constructs_lib.queues import agent_tokens
from constructs_lib.queues.gcp_names import label_value
from constructs_lib.queues.hostings.kubernetes.gke import queues_on_gke
from constructs_lib.queues.hostings.kubernetes.names import helm_release
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.model import QueuesFile
from constructs_lib.queues.problems import LoadError

REPO = pathlib.Path(__file__).resolve().parent.parent

CHART = "oci://ghcr.io/buildkite/helm/agent-stack-k8s"
CHART_VERSION = "0.44.0"
K8S_SECRET = "buildkite-agent-token"
VERIFICATION_SECRET = "buildkite-verification-jwks"


def gke_queues(model: QueuesFile) -> list[str]:
    """Kubernetes-backed queues served by the optional GKE cluster, in file order."""
    model.gke_settings()  # refuses a file without the cluster
    return queues_on_gke(model)


def token_secrets(model: QueuesFile, queue: str) -> tuple[str, str]:
    """The Secret Manager secret of a queue's agent token and the Kubernetes secret it goes into (one per cluster)."""
    secret = agent_tokens.gcp_token_secret(model, queue)
    if secret is None:
        raise ValueError(f"queue {queue} has no agent token secret")
    cluster = model.cluster_of(queue)
    return secret, K8S_SECRET if cluster is None else f"{K8S_SECRET}-{cluster.lower()}"


def verification_config(model: QueuesFile, queue: str) -> dict[str, Any]:
    """agent-stack-k8s agent-config that verifies every job's signature: the public key from its secret, warn or block."""
    behaviour = model.verification_failure(queue)
    if behaviour is None:
        return {}
    return {
        "verification-jwks-file": "key",
        "verification-failure-behavior": behaviour,
        "verificationJWKSVolume": {"name": VERIFICATION_SECRET, "secret": {"secretName": VERIFICATION_SECRET}},
    }


def commands(model: QueuesFile, *, chart_version: str = CHART_VERSION, namespace: str = "buildkite") -> list[str]:
    gcp = model.gcp
    if gcp is None or gcp.gke is None:
        raise ValueError("queues.yaml declares no gcp.gke cluster")
    gke = gcp.gke
    pooled = {pool.queue for pool in gke.node_pools.values()}
    q = shlex.quote
    ns = q(namespace)
    lines = [f"# agent-stack-k8s on GKE cluster {gke.name} ({gke.region}), from queues.yaml"]
    if not gke.enabled:
        lines.append("# NOTE: gcp.gke.enabled is false: enable it and deploy the gcp-gke stack first")
    lines += [
        "set -euo pipefail",
        f"gcloud container clusters get-credentials {q(gke.name)} --region {q(gke.region)} --project {q(gcp.project)}",
        f"kubectl create namespace {ns} --dry-run=client -o yaml | kubectl apply -f -",
    ]
    queues = gke_queues(model)
    for secret, k8s_secret in sorted({token_secrets(model, queue) for queue in queues}):
        lines += [
            f"# The agent token of a cluster, piped from Secret Manager into the secret {k8s_secret} (never on a command line):",
            f"gcloud secrets versions access latest --secret={q(secret)} --project={q(gcp.project)} \\",
            f"  | kubectl -n {ns} create secret generic {q(k8s_secret)} --from-file=BUILDKITE_AGENT_TOKEN=/dev/stdin \\",
            "      --dry-run=client -o yaml | kubectl apply -f -",
        ]
    public_key = agent_tokens.public_key_secret(model)
    if public_key is not None:
        lines += [
            "# The public key every agent verifies signed jobs with, piped the same way:",
            f"gcloud secrets versions access latest --secret={q(public_key)} --project={q(gcp.project)} \\",
            f"  | kubectl -n {ns} create secret generic {VERIFICATION_SECRET} --from-file=key=/dev/stdin \\",
            "      --dry-run=client -o yaml | kubectl apply -f -",
        ]
    lines += [
        f"# The HF token the pods of trusted builds read ({HF_TOKEN_SECRET}, key token), piped the same way:",
        f"gcloud secrets versions access latest --secret={q(gcp.secrets.hf_token)} --project={q(gcp.project)} \\",
        f"  | kubectl -n {ns} create secret generic {HF_TOKEN_SECRET} --from-file=token=/dev/stdin \\",
        "      --dry-run=client -o yaml | kubectl apply -f -",
    ]
    for queue in queues:
        args = [
            f"helm upgrade --install {q(helm_release(queue))} {CHART} --version {q(chart_version)}",
            f"--namespace {ns}",
            f"--set agentStackSecret={q(token_secrets(model, queue)[1])}",
            f"--set-json {q('config.tags=' + json.dumps(['queue=' + queue]))}",
        ]
        # No hooks of the checked-out repository: a fork's .buildkite/hooks would run in the agent's container.
        agent_config = {"no-local-hooks": True, **verification_config(model, queue)}
        args.append(f"--set-json {q('config.agent-config=' + json.dumps(agent_config, separators=(',', ':')))}")
        if queue in pooled:
            patch = {"nodeSelector": {"buildkite-queue": label_value(queue)}}
            args.append(f"--set-json {q('config.pod-spec-patch=' + json.dumps(patch, separators=(',', ':')))}")
        else:
            lines.append(f"# queue {queue} has no node pool under gcp.gke.node_pools: its pods go wherever they fit")
        lines.append(" \\\n  ".join(args))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--queues", default=str(REPO / "queues.yaml"))
    parser.add_argument("--chart-version", default=CHART_VERSION)
    parser.add_argument("--namespace", default="buildkite")
    args = parser.parse_args(argv)
    try:
        model = load_queues(args.queues)
        lines = commands(model, chart_version=args.chart_version, namespace=args.namespace)
    except LoadError as err:
        print(err, file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"{args.queues}: {err}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
