"""Beside vLLM's own generator on the shared 2026-06 tree, scenario by scenario and step by step.

Every command step is matched by key and compared on what decides where and
how it runs: queue, runs or waits, plugin kind, image, GPU exposure, the
steps it waits for (through block steps), soft_fail, parallelism, timeout.
What still differs is named in the README ("Where we differ from vLLM's
generator, and why"); the test fails when a difference appears that the
README does not list, and when one it lists no longer occurs.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import shutil
from typing import Any, Callable

import pytest
import yaml

from constructs_lib.bootstrap import keys
from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate

from . import peer, peer_variants
from .helpers import REPO, default_queues

# The environment of each scenario (../shared/fixtures/vllm-repo-2026-06-peer/SOURCE.md).
SCENARIOS = {
    "a_runall": dict(branch="main", run_all=True),
    "a_nightly": dict(branch="main", nightly=True),
    "b": dict(branch="feature-sched"),
    "d": dict(branch="feature-lora"),
    "d_pr": dict(branch="feature-lora", pull_request="4242"),
    "e_kv": dict(branch="feature-kv"),
    "f_amdscript": dict(branch="feature-amd"),
}


@dataclasses.dataclass(frozen=True)
class Difference:
    scenario: str
    key: str
    field: str
    theirs: Any
    ours: Any


fields = peer.fields
FIELDS = peer.FIELDS


@functools.lru_cache(maxsize=None)
def ours(name: str) -> dict:
    _, changed = peer.scenario(name)
    return generate(
        read_source(str(peer.tree())), default_queues(), Options(changed_files=changed, **SCENARIOS[name])
    ).pipeline


def compare(scenario: str, theirs: dict[str, dict[str, Any]], mine: dict[str, dict[str, Any]]) -> list[Difference]:
    """Every difference of two pipelines' compared fields (peer.fields), step by step."""
    out = []
    for key in sorted(set(theirs) | set(mine)):
        if key not in theirs or key not in mine:
            out.append(Difference(scenario, key, "present", key in theirs, key in mine))
            continue
        out.extend(
            Difference(scenario, key, f, theirs[key][f], mine[key][f]) for f in FIELDS if theirs[key][f] != mine[key][f]
        )
    return out


def differences(name: str) -> list[Difference]:
    pipeline, _ = peer.scenario(name)
    return compare(name, fields(pipeline), fields(ours(name)))


@functools.lru_cache(maxsize=None)
def raw_steps() -> dict[str, dict]:
    """The tree's own step mappings by key (given, or derived from the label), as its files write them."""
    out = {}
    for path in sorted(peer.tree().parent.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in (document or {}).get("steps", []) if isinstance(document, dict) else []:
            if isinstance(step, dict) and isinstance(step.get("key") or step.get("label"), str):
                out.setdefault(step.get("key") or keys.derive(step["label"]), step)
    return out


def _pre_commit(d: Difference) -> bool:
    if d.field == "present":
        return d.key == "pre-commit" and d.theirs and not d.ours
    if d.field != "depends_on":
        return False
    theirs, ours = set(d.theirs), set(d.ours)
    return theirs - ours == {"pre-commit"} and ours <= theirs


def _num_gpus(d: Difference) -> bool:
    step = raw_steps().get(d.key, {})
    return (
        d.field == "gpus"
        and str(d.theirs) == "1"
        and str(d.ours) == str(step.get("num_gpus"))
        and "num_devices" not in step
    )


def _changed(scenario: str) -> tuple[str, ...]:
    if scenario in peer_variants.SCENARIOS:
        return peer_variants.SCENARIOS[scenario].changed
    return peer.scenario(scenario)[1]


def _under(dependency: str, path: str) -> bool:
    """vLLM's match since June 2026: the path is the dependency, or lies in it as a folder."""
    folder = dependency.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def _prefix(d: Difference) -> bool:
    if d.field != "runs" or d.theirs or not d.ours:
        return False
    dependencies = raw_steps().get(d.key, {}).get("source_file_dependencies") or []
    pairs = [(dep, path) for dep in dependencies for path in _changed(d.scenario) if not dep.startswith("!")]
    return any(path.startswith(dep) for dep, path in pairs) and not any(_under(dep, path) for dep, path in pairs)


# Each difference the README lists, by its id there, and how to recognize it.
KNOWN: dict[str, Callable[[Difference], bool]] = {
    "pre-commit": _pre_commit,
    "num-gpus": _num_gpus,
    "prefix": _prefix,
}


def readme_ids() -> set[str]:
    """The ids of the compared-field differences the README lists."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where we differ from vLLM's generator, and why", 1)[1].split("\n## ", 1)[0]
    compared = section.split("Outside the compared fields", 1)[0]
    return set(re.findall(r"^- `([a-z0-9-]+)`", compared, flags=re.MULTILINE))


def test_the_readme_lists_exactly_the_known_differences():
    assert readme_ids() == set(KNOWN)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_step_agrees_with_vllm_but_for_the_listed_differences(name):
    found = differences(name)
    unexplained = [d for d in found if not any(known(d) for known in KNOWN.values())]
    assert unexplained == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_scenario_decides_something_and_uses_todays_fleet(name):
    mine = fields(ours(name))
    decided = [f["runs"] for f in mine.values()]
    assert any(decided) and (not all(decided) or name.startswith("a_"))
    # The steps land on many queues of today's fleet, through both plugins.
    assert len({f["queue"] for f in mine.values()}) >= 15
    assert {f["plugin"] for f in mine.values()} >= {"docker", "kubernetes", None}
    assert {f["gpus"] for f in mine.values()} >= {"all", "partition", "1", "2"}


def _tree_with_an_exclusion(tmp_path):
    """The shared tree, copied, with `!vllm/distributed/kv_transfer/` beside `vllm/` in entrypoints-integration-llm."""
    root = tmp_path / "repo"
    shutil.copytree(peer.tree().parent, root / ".buildkite")
    area = root / ".buildkite" / "test_areas" / "entrypoints.yaml"
    text = area.read_text(encoding="utf-8")
    anchor = '  key: entrypoints-integration-llm\n  timeout_in_minutes: 40\n  working_dir: "/vllm-workspace/tests"\n  source_file_dependencies:\n  - vllm/\n'
    assert anchor in text
    area.write_text(text.replace(anchor, anchor + '  - "!vllm/distributed/kv_transfer/"\n', 1), encoding="utf-8")
    return root / ".buildkite" / "ci_config.yaml"


@pytest.mark.parametrize(
    "changed, runs",
    [
        ("vllm/distributed/kv_transfer/kv_connector/v1/base.py", False),  # inside the excluded subtree
        ("vllm/distributed/parallel_state.py", True),  # outside it, under the broad include
    ],
)
def test_an_exclusion_added_to_the_shared_tree(tmp_path, changed, runs):
    config = _tree_with_an_exclusion(tmp_path)
    result = generate(read_source(str(config)), default_queues(), Options(changed_files=(changed,), branch="feature"))
    decided = peer.runs(result.pipeline)
    assert decided["entrypoints-integration-llm"] is runs
    # Its AMD mirror inherits the exclusion with the dependencies.
    assert decided["amd-entrypoints-integration-llm"] is runs


def _newer_tree(tmp_path):
    """The shared tree as a newer one looks: an AMD mirror on a new count of a known family, a step on a device never declared."""
    root = tmp_path / "repo"
    shutil.copytree(peer.tree().parent, root / ".buildkite")
    samplers = root / ".buildkite" / "test_areas" / "samplers.yaml"
    samplers.write_text(
        samplers.read_text(encoding="utf-8").replace("device: mi250_1", "device: mi355_2", 1), encoding="utf-8"
    )
    misc = root / ".buildkite" / "test_areas" / "misc.yaml"
    text = misc.read_text(encoding="utf-8")
    anchor = "key: v1-sample-logits\n  timeout_in_minutes: 30\n  device: h200_18gb\n"
    assert anchor in text
    misc.write_text(text.replace(anchor, anchor.replace("h200_18gb", "rtx9000_2"), 1), encoding="utf-8")
    return root / ".buildkite" / "ci_config.yaml"


def test_a_newer_tree_uploads_every_routable_step_and_marks_the_one_on_an_undeclared_device(tmp_path):
    result = generate(
        read_source(str(_newer_tree(tmp_path))),
        default_queues(),
        Options(changed_files=("vllm/__init__.py",), branch="main", run_all=True),
    )
    mine = fields(result.pipeline)
    assert set(mine) == set(fields(ours("a_runall")))  # nothing left out
    assert mine["amd-samplers-test"]["queue"] == "amd_mi355_2"  # a new count of a declared family routes
    assert len(result.errors) == 1 and "rtx9000_2" in str(result.errors[0])
    step = next(s for s in peer.flat_steps(result.pipeline) if s.get("key") == "v1-sample-logits")
    assert step["agents"]["queue"] == "bootstrap" and step["commands"][-1] == "exit 1"
    others = {k: f["queue"] for k, f in mine.items() if k != "v1-sample-logits"}
    assert "bootstrap" not in others.values()
