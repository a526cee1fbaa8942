"""queues.schema.json is generated from the model, committed, and current."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from constructs_lib.queues import schema


def test_committed_schema_is_current(repo):
    committed = (repo / "queues.schema.json").read_text(encoding="utf-8")
    assert committed == schema.render(), "run: python -m constructs_lib.queues.schema"


def test_queues_yaml_names_the_schema_on_its_first_line(repo):
    first = (repo / "queues.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./queues.schema.json"


@pytest.mark.parametrize("name", ["queues.yaml", "examples/queues-vllm-2024.yaml"])
def test_default_file_and_example_are_valid_against_the_schema(repo, name):
    document = yaml.safe_load((repo / name).read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(schema.render()))


def test_schema_rejects_an_unknown_key(repo):
    document = yaml.safe_load((repo / "queues.yaml").read_text(encoding="utf-8"))
    document["queues"]["gpu_1_queue"]["aws"]["max_sise"] = 3
    errors = list(jsonschema.Draft202012Validator(json.loads(schema.render())).iter_errors(document))
    assert errors
