"""The names a Kubernetes queue's agent stack gets. Pure."""

from __future__ import annotations

from constructs_lib.queues.labels import label_value

# Helm release names are DNS labels of at most 53 characters (helm keeps room for suffixes).
HELM_RELEASE_PREFIX = "agent-stack-k8s-"
MAX_HELM_RELEASE = 53


def helm_release(queue_name: str) -> str:
    """The agent-stack-k8s release of a queue."""
    return HELM_RELEASE_PREFIX + label_value(queue_name).replace("_", "-")
