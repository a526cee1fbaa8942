"""Step keys: stable (given, or derived from the label) and unique.

Buildkite rejects a pipeline with two equal keys; the reference generator
produced such pipelines silently when two steps shared a label. Here every
collision is a problem that names both steps.
"""

from __future__ import annotations

import re
from typing import Iterable

from constructs_lib.bootstrap.steps import MAX_KEY_LENGTH, Origin
from constructs_lib.queues.problems import Problem

_NOT_KEY = re.compile(r"[^a-z0-9_]+")


def derive(label: str) -> str:
    """`Distributed Tests (2 GPUs)` -> `distributed-tests-2-gpus`."""
    key = _NOT_KEY.sub("-", label.lower()).strip("-")[:MAX_KEY_LENGTH].strip("-")
    return key or "step"


def collisions(entries: Iterable[tuple[str, str, Origin]]) -> list[Problem]:
    """Problems for every key given to more than one step: (key, label, origin)."""
    first: dict[str, tuple[str, Origin]] = {}
    problems = []
    for key, label, origin in entries:
        if key not in first:
            first[key] = (label, origin)
            continue
        other_label, other = first[key]
        problems.append(
            origin.problem(
                f"step {label!r} gets key {key!r}, as step {other_label!r} at {other} does; give one of them a distinct key or label"
            )
        )
    return problems
