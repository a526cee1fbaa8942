"""What vLLM's own generator made of the shared 2026-06 tree (../shared/fixtures/vllm-repo-2026-06-peer), and how
a pipeline is compared with it.

`runs(pipeline)`: per command-step key, whether it runs without anyone
unblocking it: no block step before it along its depends_on.
`fields(pipeline)`: per command-step key, what decides where and how it runs
(the compared fields, FIELDS), in a form JSON keeps (the digests of
`peer_oracles/`, made by `scripts/make_peer_oracles.py`).
"""

from __future__ import annotations

import pathlib
from typing import Any, Optional

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


FIELDS = (
    "present",
    "queue",
    "runs",
    "plugin",
    "image",
    "gpus",
    "depends_on",
    "soft_fail",
    "parallelism",
    "timeout",
    "priority",
    "agents",
    "artifact_paths",
)


def _plugin(step: dict) -> tuple[Optional[str], Optional[str], Any]:
    """(plugin kind, image, GPU exposure) of a command step."""
    for plugin in step.get("plugins") or []:
        for name, settings in plugin.items():
            if name.startswith("docker#"):
                environment = settings.get("environment") or []
                gpus = settings.get("gpus") or ("partition" if "NVIDIA_VISIBLE_DEVICES" in environment else None)
                return "docker", settings.get("image"), gpus
            if name == "kubernetes":
                spec = settings.get("podSpec") or settings.get("podSpecPatch")
                container = spec["containers"][0]
                limits = container.get("resources", {}).get("limits", {})
                return "kubernetes", container.get("image"), limits.get("nvidia.com/gpu", limits.get("amd.com/gpu"))
    return None, None, None


def fields(pipeline: dict) -> dict[str, dict[str, Any]]:
    """Per command-step key, the compared fields (FIELDS)."""
    steps = {s["key"]: s for s in flat_steps(pipeline) if "key" in s}
    decided = runs(pipeline)

    def waits_for(key: str) -> list:
        out: set = set()
        depends = steps[key].get("depends_on") or []
        for wanted in [depends] if isinstance(depends, str) else depends:
            wanted = wanted if isinstance(wanted, str) else wanted.get("step")
            other = steps.get(wanted)
            out |= set(waits_for(wanted)) if other is not None and "block" in other else {wanted}
        return sorted(out)

    out = {}
    for key, step in steps.items():
        if "block" in step or "wait" in step:
            continue
        kind, image, gpus = _plugin(step)
        if gpus is None:  # an AMD job's wrapper is told how many GPUs its agent holds
            gpus = (step.get("env") or {}).get("VLLM_CI_EXPECTED_GPU_COUNT")
        tags = {k: v for k, v in (step.get("agents") or {}).items() if k != "queue"}
        out[key] = {
            "present": True,
            "queue": (step.get("agents") or {}).get("queue"),
            "runs": decided[key],
            "plugin": kind,
            "image": image,
            "gpus": str(gpus)
            if isinstance(gpus, int) and not isinstance(gpus, bool) and kind == "kubernetes"
            else gpus,
            "depends_on": waits_for(key),
            "soft_fail": step.get("soft_fail") or False,
            "parallelism": step.get("parallelism"),
            "timeout": step.get("timeout_in_minutes"),
            "priority": step.get("priority") or None,
            "agents": tags or None,
            "artifact_paths": step.get("artifact_paths"),
        }
    return out
