"""The external section of a queue: hosted elsewhere, routed to, never synthesized. Pure pydantic."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from constructs_lib.queues.fields import Strict


class ExternalQueue(Strict):
    """A queue hosted elsewhere: routed to, never synthesized."""

    operator: Optional[str] = Field(None, description="Who runs it.")
    pods: bool = Field(
        False,
        description="Its agents are agent-stack-k8s: each job runs in a pod its kubernetes plugin may patch, "
        "where a mirror family's native jobs run (vLLM's AMD jobs with dind: false). Its containers still "
        "run through its runner (docker unless it says).",
    )


class ExternalHosted(Strict):
    """The external section of a queue, as the queue model takes it (constructs_lib.queues.hostings.Hostings)."""

    external: Optional[ExternalQueue] = Field(None, description="Hosted elsewhere.")
