"""A build's plan: its jobs, the queue of each, and whether each runs now.

What `render` turns into the pipeline and `explain` into the summary. Data only.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from constructs_lib.bootstrap.jobs import Job
from constructs_lib.bootstrap.routing import Route
from constructs_lib.bootstrap.selection import Decision


@dataclasses.dataclass(frozen=True)
class Plan:
    jobs: Sequence[Job]
    routes: dict[str, Route]  # by job key
    decisions: dict[str, Decision]  # by job key

    def queue(self, job: Job) -> str:
        return self.routes[job.key].queue

    def runs(self, job: Job) -> bool:
        return self.decisions[job.key].runs
