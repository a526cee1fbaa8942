"""The controls vLLM's generator reads, the fields passed through, and the paths resolved in the checkout."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from constructs_lib.bootstrap.cli import main
from constructs_lib.bootstrap.controls import only_keys, priority
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.queues.problems import LoadError

from .helpers import QUEUES_2024, fleet_2024, planned, run, single, steps_of

MIRRORED = """\
steps:
- label: Core
  source_file_dependencies: [vllm/]
  mirror_hardwares: [amdexperimental]
  commands: [pytest core]
- label: Two nodes
  num_nodes: 2
  num_gpus: 2
  commands: [[a], [b]]
"""


def _with(present, text=MIRRORED, **options):
    source = dataclasses.replace(single(text), present=present)
    return generate(source, fleet_2024(), Options(run_all=True, **options))


def _commands(result) -> str:
    return "\n".join(str(s.get("commands", "")) + str(s.get("plugins", "")) for s in steps_of(result.pipeline))


def test_a_2024_checkout_gets_its_own_script_paths():
    old = frozenset({".buildkite/run-amd-test.sh", "Dockerfile.rocm", ".buildkite/run-multi-node-test.sh"})
    text = _commands(_with(old))
    assert "bash .buildkite/run-amd-test.sh" in text and "-f Dockerfile.rocm" in text
    assert "./.buildkite/run-multi-node-test.sh" in text
    assert "bash .buildkite/scripts/hardware_ci" not in text and "-f docker/Dockerfile.rocm" not in text


def test_a_current_checkout_gets_the_current_paths():
    new = frozenset(
        {
            ".buildkite/scripts/hardware_ci/run-amd-test.sh",
            "docker/Dockerfile.rocm",
            ".buildkite/scripts/run-multi-node-test.sh",
            ".buildkite/run-amd-test.sh",
        }
    )
    text = _commands(_with(new))
    assert "bash .buildkite/scripts/hardware_ci/run-amd-test.sh" in text and "-f docker/Dockerfile.rocm" in text
    assert "./.buildkite/scripts/run-multi-node-test.sh" in text


def test_a_missing_script_fails_its_job_saying_so_and_is_warned_about():
    result = _with(frozenset())
    text = _commands(result)
    assert "this checkout has no .buildkite/scripts/hardware_ci/run-amd-test.sh or .buildkite/run-amd-test.sh" in text
    warned = "\n".join(str(w) for w in result.warnings)
    assert (
        "this checkout has no .buildkite/scripts/run-multi-node-test.sh or .buildkite/run-multi-node-test.sh" in warned
    )
    assert "this checkout has no docker/Dockerfile.rocm or Dockerfile.rocm" in warned
    assert "this checkout has no" in result.explain


def test_an_unknown_checkout_takes_the_newest_paths_without_a_warning():
    result = _with(None)
    assert "bash .buildkite/scripts/hardware_ci/run-amd-test.sh" in _commands(result)
    assert not [w for w in result.warnings if "this checkout has no" in str(w)]


NIGHTLY_TORCH = """\
steps:
- label: Models
  torch_nightly: true
  source_file_dependencies: [vllm/models/]
  commands: [pytest models]
- label: Other
  source_file_dependencies: [vllm/other/]
  commands: [pytest other]
"""


def test_torch_nightly_runs_everything_and_the_marked_steps_on_the_torch_nightly_image():
    result = run(NIGHTLY_TORCH, changed_files=("README.md", "x.py"), torch_nightly=True)
    jobs = planned(result)
    assert all(job.runs for job in jobs.values() if job.role in ("test", "build"))
    torch = {s["key"]: s for s in steps_of(result.pipeline) if "key" in s}
    assert set(torch) >= {"image-build-torch-nightly", "torch-nightly-models"} and "torch-nightly-other" not in torch
    step = torch["torch-nightly-models"]
    assert step["soft_fail"] is True and step["depends_on"] == ["image-build-torch-nightly"]
    assert step["plugins"][0]["docker#v5.2.0"]["image"].endswith("-torch-nightly")
    assert any("docker/Dockerfile.nightly_torch" in c for c in torch["image-build-torch-nightly"]["commands"])
    assert not [k for k in {s.get("key") for s in steps_of(run(NIGHTLY_TORCH).pipeline)} if k and "torch-nightly" in k]


PASSED = """\
steps:
- label: Intel
  agents: {queue: ignored, gpu: 2+, mem: 24+}
  concurrency: 2
  concurrency_group: intel-gpus
  artifact_paths: ["logs/**/*"]
  notify: [{slack: "#ci"}]
  cancel_on_build_failing: true
  allow_dependency_failure: true
  if: build.branch == "main"
  skip: "flaky this week"
  commands: [pytest intel]
"""


def test_buildkite_fields_are_passed_through_and_schema_checked():
    result = run(PASSED, run_all=True)
    step = next(s for s in steps_of(result.pipeline) if s.get("key") == "intel")
    assert step["agents"]["gpu"] == "2+" and step["agents"]["mem"] == "24+" and step["agents"]["queue"] != "ignored"
    assert (step["concurrency"], step["concurrency_group"]) == (2, "intel-gpus")
    assert step["artifact_paths"] == ["logs/**/*"] and step["notify"] == [{"slack": "#ci"}]
    assert step["cancel_on_build_failing"] and step["allow_dependency_failure"]
    assert step["if"] == 'build.branch == "main"' and step["skip"] == "flaky this week"
    assert any("agents.queue" in str(w) for w in result.warnings)


def test_a_passed_field_the_schema_refuses_stops_the_bootstrap():
    with pytest.raises(LoadError, match="Buildkite's schema"):
        run(PASSED.replace('notify: [{slack: "#ci"}]', "notify: 3"), run_all=True)


def test_priority_and_only_keys_as_vllm_writes_them():
    assert priority("HIGH") == 1 and priority("high") == 1 and priority("5") == 5 and priority(None) is None
    with pytest.raises(LoadError):
        priority("urgent")
    assert only_keys('["a", "b-c"]') == frozenset({"a", "b-c"}) and only_keys(None) is None
    for bad in ("[]", "a,b", '["a", "a"]', '["has space"]', "{}"):
        with pytest.raises(LoadError):
            only_keys(bad)


def test_the_controls_come_from_the_environment(tmp_path, monkeypatch, capsys):
    pipeline = tmp_path / "test-pipeline.yaml"
    pipeline.write_text(NIGHTLY_TORCH, encoding="utf-8")
    out = tmp_path / "p.yaml"
    args = ["--pipeline", str(pipeline), "--queues", str(QUEUES_2024), "--output", str(out)]

    def generated(**env):
        for name in (
            "RUN_ALL",
            "NIGHTLY",
            "TORCH_NIGHTLY",
            "NOAUTO",
            "PRIORITY",
            "VLLM_CI_ONLY_STEP_KEYS",
            "PULL_REQUEST_LABELS",
            "DOCS_ONLY_DISABLE",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(args) == 0, capsys.readouterr().err
        return steps_of(yaml.safe_load(out.read_text()))

    def blocked(steps):  # the optional hardware test (ppc64le) always waits
        return {s["key"][len("block-") :] for s in steps if "block" in s} - {"hardware-ppc64le"}

    assert blocked(generated()) == {"models", "other"}
    assert blocked(generated(RUN_ALL="1")) == set()
    assert blocked(generated(NOAUTO="1")) >= {"models", "other", "image-build"}
    only = blocked(generated(VLLM_CI_ONLY_STEP_KEYS='["other"]'))
    assert "models" in only and "other" not in only and "image-build" not in only
    assert blocked(generated(PULL_REQUEST_LABELS="docs, ready-run-all-tests")) == set()
    assert all(
        s.get("priority") == 1
        for s in generated(PRIORITY="HIGH")
        if "command" in s or "commands" in s or "plugins" in s
    )
    assert any(s.get("key") == "torch-nightly-models" for s in generated(TORCH_NIGHTLY="1"))
    monkeypatch.setenv("VLLM_CI_ONLY_STEP_KEYS", "not json")
    assert main(args) == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("VLLM_CI_ONLY_STEP_KEYS: must be a non-empty JSON array")


def test_step_keys_nested_past_any_depth_are_one_problem_line():
    for depth in (3, 100_000):
        with pytest.raises(LoadError) as err:
            only_keys("[" * depth + "]" * depth)
        assert len(err.value.problems) == 1 and "non-empty JSON array of step keys" in err.value.problems[0].message
