"""Check a pipeline against the Buildkite pipeline JSON schema buildkite-sdk ships.

The check runs on jsonschema-rs, a compiled draft-7 validator: the schema
compiles in a few milliseconds and the largest generated pipeline validates in
about one, where the pure-Python `jsonschema` needed ~40 ms to import and tens
of milliseconds per pipeline. The tests hold both validators to the same
verdict.

`format` stays an annotation, as draft 7 and Buildkite's own checks treat it.
When a pipeline is rejected, each step is checked against the one step type
it is meant to be, because the messages of `anyOf` over fourteen step types
say little.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any, Iterator

import jsonschema_rs

_schema: dict[str, dict[str, Any]] = {}
_validators: dict[str, Any] = {}


def schema_path() -> str:
    spec = importlib.util.find_spec("buildkite_sdk")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - dependency missing
        raise RuntimeError("buildkite-sdk is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "schema.json")


def schema() -> dict[str, Any]:
    if not _schema:
        with open(schema_path(), encoding="utf-8") as fh:
            _schema.update(json.load(fh))
    return _schema


def problems(pipeline: dict[str, Any], limit: int = 10) -> list[str]:
    """Empty when `pipeline` is valid; otherwise up to `limit` messages."""
    whole = _validator("")
    if whole.is_valid(pipeline):
        return []
    out = []
    for where, step in _steps(pipeline):
        definition = "groupStep" if "group" in step else "blockStep" if "block" in step else "commandStep"
        if definition == "groupStep":
            step = dict(step, steps=["wait"])  # its steps are checked on their own
        for error in _validator(definition).iter_errors(step):
            field = "/".join(str(p) for p in error.instance_path)
            label = step.get("key") or step.get("label") or step.get("block") or step.get("group")
            out.append(f"{where} ({label}){' ' + field if field else ''}: {error.message[:300]}")
    if not out:
        error = next(iter(whole.iter_errors(pipeline)))
        out.append(f"{'/'.join(str(p) for p in error.instance_path) or '(top)'}: {error.message[:300]}")
    return out[:limit]


def _steps(pipeline: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    steps = pipeline.get("steps") if isinstance(pipeline, dict) else None
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, dict):
            yield f"steps[{i}]", step
            inner = step.get("steps") if "group" in step else None
            for j, nested in enumerate(inner if isinstance(inner, list) else ()):
                if isinstance(nested, dict):
                    yield f"steps[{i}].steps[{j}]", nested


def _validator(definition: str) -> Any:
    """The validator of the whole schema (""), or of one of its definitions."""
    if definition not in _validators:
        full = schema()
        document = (
            full
            if not definition
            else {"$schema": full["$schema"], "$ref": f"#/definitions/{definition}", "definitions": full["definitions"]}
        )
        _validators[definition] = jsonschema_rs.Draft7Validator(document, validate_formats=False)
    return _validators[definition]
