"""External queues: routed to, never synthesized."""

from __future__ import annotations

from cdktf import App

from constructs_lib.queues.model import QueuesFile


def add_stacks(app: App, model: QueuesFile) -> None:
    """Nothing: their hosts are someone else's."""
