"""The pure core: deterministic, complete or nothing, and the parts agree."""

from __future__ import annotations

import yaml

from constructs_lib.bootstrap import pipeline_schema

from .helpers import run, steps_of

STEPS = """\
steps:
- label: A
  source_file_dependencies: [a/]
  command: a
- label: B
  mirror_hardwares: [amdproduction]
  num_gpus: 2
  command: b
- label: Documentation Build
  no_gpu: true
  command: make html
"""


def test_same_input_same_bytes():
    first = run(STEPS, changed_files=("a/x.py", "b.py"), branch="f")
    second = run(STEPS, changed_files=("b.py", "a/x.py"), branch="f")
    assert first.yaml == second.yaml and first.explain == second.explain


def test_the_yaml_is_the_pipeline_and_valid():
    result = run(STEPS, changed_files=("a/x.py",))
    assert yaml.safe_load(result.yaml) == result.pipeline
    assert pipeline_schema.problems(result.pipeline) == []


def test_plan_matches_the_pipeline():
    result = run(STEPS, changed_files=("z.py",))
    by_key = {s["key"]: s for s in steps_of(result.pipeline) if "key" in s}
    for job in result.plan:
        assert by_key[job.key]["agents"] == {"queue": job.queue}
        assert (f"block-{job.key}" in by_key) == (not job.runs)


def test_every_depends_on_names_a_step_of_the_pipeline():
    result = run(STEPS, changed_files=("z.py",))
    keys = {s["key"] for s in steps_of(result.pipeline) if "key" in s}
    for s in steps_of(result.pipeline):
        assert set(s.get("depends_on", [])) <= keys
