"""The schema check (jsonschema-rs) gives the verdict of the reference validator (jsonschema), and explains rejections."""

from __future__ import annotations

import copy
import json

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.bootstrap import pipeline_schema

from .fuzz_settings import FUZZ
from .helpers import run

PIPELINE = run(
    "steps:\n- label: A\n  command: x\n  parallelism: 2\n- label: B\n  gpu: a100\n  source_file_dependencies: [b/]\n  command: y\n"
    "- label: C\n  mirror_hardwares: [amd]\n  num_gpus: 2\n  num_nodes: 2\n  commands: [[a], [b]]\n",
    changed_files=("x",),
).pipeline
PLAIN = jsonschema.Draft7Validator(json.load(open(pipeline_schema.schema_path(), encoding="utf-8")))


def test_generated_pipelines_are_valid_for_both():
    assert pipeline_schema.problems(PIPELINE) == []
    assert PLAIN.is_valid(PIPELINE)


def test_rejections_name_the_step_and_field():
    broken = copy.deepcopy(PIPELINE)
    broken["steps"][0]["key"] = "not a key"
    broken["steps"][1]["timeout_in_minutes"] = "soon"
    found = pipeline_schema.problems(broken)
    assert any(m.startswith("steps[0] (not a key) key:") for m in found), found
    assert any(m.startswith('steps[1] (a) timeout_in_minutes: "soon" is not of type "integer"') for m in found), found


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, prefix + (i,))


PATHS = [p for p in _paths(PIPELINE) if p]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-20, 20)
    | st.text(max_size=6)
    | st.sampled_from(["image-build", "block-b", "gpu_1_queue", "*"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["exit_status", "limit", "queue", "label", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_same_verdict_as_the_plain_validator(mutations):
    mutated = copy.deepcopy(PIPELINE)
    for path, value in mutations:
        target = mutated
        try:
            for part in path[:-1]:
                target = target[part]
            if isinstance(target, dict) and not isinstance(path[-1], str):
                continue  # a list index into a mapping that replaced a list: no JSON document has int keys
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    assert (pipeline_schema.problems(mutated) == []) == PLAIN.is_valid(mutated)
