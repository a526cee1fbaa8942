"""What vLLM's own generator made of the shared 2026-06 tree (../shared/fixtures/vllm-repo-2026-06-peer).

`runs(pipeline)`: per command-step key, whether it runs without anyone
unblocking it: no block step before it along its depends_on.
"""

from __future__ import annotations

import pathlib

import yaml

from tests.conftest import shared_path


def scenario(name: str) -> tuple[dict, tuple[str, ...]]:
    folder = shared_path("vllm-repo-2026-06-peer", name)
    pipeline = yaml.load(
        (folder / "pipeline.yaml").read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    changed = tuple(
        line for line in (folder / "changed-files.txt").read_text(encoding="utf-8").splitlines() if line.strip()
    )
    return pipeline, changed


def flat_steps(pipeline: dict) -> list[dict]:
    out = []
    for step in pipeline.get("steps", []):
        if isinstance(step, dict) and "group" in step:
            out.extend(s for s in step.get("steps", []) if isinstance(s, dict))
        elif isinstance(step, dict):
            out.append(step)
    return out


def runs(pipeline: dict) -> dict[str, bool]:
    """Per command step key: True when it runs without an unblock, through its whole depends_on chain."""
    steps = {s["key"]: s for s in flat_steps(pipeline) if "key" in s}
    memo: dict[str, bool] = {}

    def free(key: str, seen: frozenset = frozenset()) -> bool:
        if key in memo:
            return memo[key]
        step = steps.get(key)
        if step is None or key in seen:
            return True
        if "block" in step:
            memo[key] = False
            return False
        depends = step.get("depends_on") or []
        depends = [depends] if isinstance(depends, str) else depends
        names = [d if isinstance(d, str) else d.get("step") for d in depends]
        memo[key] = all(free(d, seen | {key}) for d in names if d)
        return memo[key]

    return {key: free(key) for key, step in steps.items() if "block" not in step and "wait" not in step}


def tree() -> pathlib.Path:
    return shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")
