"""The Kubernetes section of a queue: jobs run as pods of agent-stack-k8s. Pure pydantic."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from constructs_lib.queues.fields import Strict


class KubernetesQueue(Strict):
    """A queue whose jobs run as pods (Buildkite agent-stack-k8s)."""

    cluster: Optional[str] = Field(
        None, description="Cluster the agent stack runs in; the optional GKE cluster when absent."
    )

    def runs_on(self, cluster: str) -> bool:
        """Whether the agent stack runs in `cluster` (the GKE cluster's name)."""
        return self.cluster in (None, cluster)


class KubernetesHosted(Strict):
    """The kubernetes section of a queue, as the queue model takes it (constructs_lib.queues.hostings.Hostings)."""

    kubernetes: Optional[KubernetesQueue] = Field(None, description="Hosted on Kubernetes.")
