"""Beside vLLM's own generator on the shared 2026-06 tree: the same steps run and wait, scenario by scenario."""

from __future__ import annotations

import shutil

import pytest

from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate

from . import peer
from .helpers import default_queues

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
# Steps only one side has, and why (README: where we differ from vLLM's generator).
ONLY_THEIRS = {"d_pr": {"pre-commit"}}  # vLLM adds a pre-commit step to PR builds of its own


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_same_steps_run_and_wait(name):
    pipeline, changed = peer.scenario(name)
    theirs = peer.runs(pipeline)
    result = generate(read_source(str(peer.tree())), default_queues(), Options(changed_files=changed, **SCENARIOS[name]))
    ours = peer.runs(result.pipeline)
    assert set(theirs) - set(ours) == ONLY_THEIRS.get(name, set())
    assert set(ours) <= set(theirs)
    differ = {key: (theirs[key], ours[key]) for key in ours if theirs[key] != ours[key]}
    assert differ == {}
    assert sum(ours.values()) and not all(ours.values()) or name.startswith("a_")  # the scenario decides something


def _tree_with_an_exclusion(tmp_path):
    """The shared tree, copied, with `!vllm/distributed/kv_transfer/` beside `vllm/` in entrypoints-integration-llm."""
    root = tmp_path / "repo"
    shutil.copytree(peer.tree().parent, root / ".buildkite")
    area = root / ".buildkite" / "test_areas" / "entrypoints.yaml"
    text = area.read_text(encoding="utf-8")
    anchor = "  key: entrypoints-integration-llm\n  timeout_in_minutes: 40\n  working_dir: \"/vllm-workspace/tests\"\n  source_file_dependencies:\n  - vllm/\n"
    assert anchor in text
    area.write_text(text.replace(anchor, anchor + "  - \"!vllm/distributed/kv_transfer/\"\n", 1), encoding="utf-8")
    return root / ".buildkite" / "ci_config.yaml"


@pytest.mark.parametrize("changed, runs", [
    ("vllm/distributed/kv_transfer/kv_connector/v1/base.py", False),  # inside the excluded subtree
    ("vllm/distributed/parallel_state.py", True),  # outside it, under the broad include
])
def test_an_exclusion_added_to_the_shared_tree(tmp_path, changed, runs):
    config = _tree_with_an_exclusion(tmp_path)
    result = generate(read_source(str(config)), default_queues(), Options(changed_files=(changed,), branch="feature"))
    decided = peer.runs(result.pipeline)
    assert decided["entrypoints-integration-llm"] is runs
    # Its AMD mirror inherits the exclusion with the dependencies.
    assert decided["amd-entrypoints-integration-llm"] is runs


def _image_tags(pipeline: dict) -> dict[str, str]:
    """Per container step, the tag of the image it runs (`<commit>`, `<commit>-cpu`, ...)."""
    tags = {}
    for step in peer.flat_steps(pipeline):
        for plugin in step.get("plugins") or []:
            for settings in plugin.values():
                image = settings.get("image") or settings.get("podSpec", {}).get("containers", [{}])[0].get("image")
                tags[step["key"]] = str(image).rsplit(":", 1)[-1]
    return tags


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_container_step_runs_the_image_variant_vllm_runs(name):
    pipeline, changed = peer.scenario(name)
    result = generate(read_source(str(peer.tree())), default_queues(), Options(changed_files=changed, **SCENARIOS[name]))
    theirs, ours = _image_tags(pipeline), _image_tags(result.pipeline)
    assert any(tag.endswith("-cpu") for tag in ours.values())  # the CPU steps run in the CPU image
    assert {key: (theirs[key], tag) for key, tag in ours.items() if key in theirs and theirs[key] != tag} == {}
