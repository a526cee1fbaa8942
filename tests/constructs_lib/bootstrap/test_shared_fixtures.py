"""Every shared fixture x every scenario: a schema-valid pipeline, unique keys, declared queues.

The fixtures are the real step files of ../shared (31 single-file versions and
the 2026 repository layout). Two single-file versions give two steps the same
label; the reference generator turned those into duplicate keys, which
Buildkite rejects. Here the later step's key gets a suffix, with a warning
that the test checks names two steps whose labels really are the same.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from constructs_lib.bootstrap import pipeline_schema
from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.queues.problems import LoadError
from tests.conftest import shared_files, shared_path

from .helpers import default_queues, fleet_2024, steps_of

SCENARIOS = {
    "run-all": Options(run_all=True, branch="feature"),
    "vllm-core": Options(changed_files=("vllm/core/scheduler.py",), branch="feature"),
    "docs-only": Options(changed_files=("docs/source/index.md", "README.md"), branch="feature"),
    "default-branch": Options(changed_files=("vllm/core/scheduler.py",), branch="main"),
    "nightly": Options(nightly=True, branch="main"),
}
PLAIN_CHECKED = {"vllm-project__vllm__30ebe0dc3c24.yaml", "ci_config.yaml"}
PLAIN = jsonschema.Draft7Validator(json.load(open(pipeline_schema.schema_path(), encoding="utf-8")))


@functools.lru_cache(maxsize=None)
def source_of(path: str):
    return read_source(path)


def fleet_of(path: str):
    """The fleet of the file's era: today's (queues.yaml) for the current layout, the 2024 example for single files."""
    return default_queues() if Path(path).name == "ci_config.yaml" else fleet_2024()


@functools.lru_cache(maxsize=None)
def generated(path: str, scenario: str):
    """The result for (file, scenario), or the LoadError it raised."""
    try:
        return generate(source_of(path), fleet_of(path), SCENARIOS[scenario])
    except LoadError as err:
        return err


def check(path, scenario: str):
    result = generated(str(path), scenario)
    assert not isinstance(result, LoadError), str(result)
    assert_same_labels(result.warnings)
    pipeline = result.pipeline
    assert yaml.load(result.yaml, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == pipeline
    if scenario == "run-all" and Path(path).name in PLAIN_CHECKED:
        # The plain validator too, not only the generator's own fast check (which
        # test_pipeline_schema holds to the plain verdict); slow, so for the largest.
        PLAIN.validate(pipeline)
    steps = steps_of(pipeline)
    keys = [s["key"] for s in steps if "key" in s]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    declared = set(fleet_of(str(path)).queues)
    commands = [s for s in steps if "block" not in s and "group" not in s]
    assert commands and all(s["agents"]["queue"] in declared for s in commands)
    assert all(set(s.get("depends_on", [])) <= set(keys) for s in steps)
    blocked = {s["key"] for s in commands if any(d.startswith("block-") for d in s.get("depends_on", []))}
    if scenario == "nightly":
        assert not blocked
    if scenario == "docs-only":
        # Only the docs build (and the image it needs) runs; every test waits.
        running = {s["key"] for s in commands} - blocked
        docs = {s["key"] for s in commands if "docs" in s["key"] or "documentation" in s["key"]}
        builds = {key for key in running if key.startswith("image-build")}
        assert running <= docs | builds, sorted(running - docs)
        assert running & docs or not docs
    return result


REPEATED = re.compile(r"step .* gets the key '([^']+)': the step at (.+):(\d+) derives the same key")


def assert_same_labels(warnings) -> None:
    """Each repeated-label warning names two steps of one file whose labels really give one key."""
    for problem in warnings:
        found = REPEATED.search(problem.message)
        if not found:
            continue
        lines = open(problem.file, encoding="utf-8").read().splitlines()
        labels = [_label(lines[line - 1]) for line in (problem.line, int(found.group(3)))]
        assert labels[0] and _normal(labels[0]) == _normal(labels[1]), (str(problem), labels)


def _label(line: str) -> str:
    found = re.match(r"\s*-?\s*label:\s*(.*?)\s*(#.*)?$", line)
    return yaml.safe_load(found.group(1)) if found else ""


def _normal(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("path", shared_files("vllm-test-pipelines", "*.yaml"))
def test_single_file_versions(path, scenario):
    check(path, scenario)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_current_layout(scenario):
    result = check(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml"), scenario)
    assert not [w for w in result.warnings if REPEATED.search(w.message)]  # the current layout repeats no label


@pytest.mark.parametrize("path", shared_files("vllm-test-pipelines", "*.yaml"))
def test_selection_against_the_raw_files(path):
    """Steps whose dependency prefixes the changed file run; the rest of the dependent ones wait."""
    changed = "vllm/core/scheduler.py"
    result = generated(str(path), "vllm-core")
    raw = yaml.safe_load(open(path, encoding="utf-8")) or {}
    runs = {job.key: job.runs for job in result.plan if job.role == "test"}
    keys = [job.key for job in result.plan if job.role == "test"]
    for key, step in zip(keys, [s for s in raw.get("steps", []) if not s.get("fast_check_only")], strict=False):
        if step.get("fast_check_only") or step.get("optional") or step.get("nightly"):
            continue
        deps = step.get("source_file_dependencies")
        expected = deps is None or any(changed.startswith(d) for d in deps)
        assert runs[key] == expected, step["label"]


def test_every_step_of_every_fixture_routes():
    paths = [p.values[0] for p in shared_files("vllm-test-pipelines", "*.yaml") if p.values[0] is not None]
    paths.append(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml"))
    for path in paths:
        result = generated(str(path), "nightly")
        assert not isinstance(result, LoadError), result


@pytest.mark.parametrize(
    "name", ["neuralmagic__neural-magic-vllm__87ad0cb3a482.yaml", "vllm-project__vllm__ab1af6aa3e8c.yaml"]
)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_fixtures_that_repeat_a_label_give_valid_pipelines(name, scenario):
    result = check(shared_path("vllm-test-pipelines", name), scenario)
    repeated = [w for w in result.warnings if REPEATED.search(w.message)]
    assert repeated, "the fixture repeats a label: its later step gets a suffixed key, with a warning"
    keys = {s.get("key") for s in steps_of(result.pipeline)}
    assert all(REPEATED.search(w.message).group(1) in keys for w in repeated)


@pytest.mark.parametrize("path", shared_files("vllm-test-pipelines", "*.yaml"))
def test_single_file_versions_with_todays_fleet(path):
    """The default queues.yaml takes the 2024 layout too: a valid pipeline on its queues, hardware lines it lacks left out with a warning."""
    result = generate(source_of(str(path)), default_queues(), SCENARIOS["run-all"])
    declared = set(default_queues().queues)
    commands = [s for s in steps_of(result.pipeline) if "block" not in s and "group" not in s]
    assert commands and all(s["agents"]["queue"] in declared for s in commands)
    assert not result.errors, [str(e) for e in result.errors]
