"""External queues: hosted elsewhere (partners' hosts), routed to, never synthesized."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.queues.hostings.kind import HostingKind

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue, QueuesFile


def summary_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    return (name, "external", "-", "-", "-")


def _runs_pods(queue: Queue) -> bool:
    return queue.external is not None and queue.external.pods


# Their hosts' operators decide what the agent's environment holds: HF_TOKEN is passed by name in trusted builds.
KIND = HostingKind(
    key="external",
    default_plugin="docker",
    rules=(),
    summary_row=summary_row,
    hf_token=lambda queue: True,
    runs_pods=_runs_pods,
)
