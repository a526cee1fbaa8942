"""Check a pipeline against the Buildkite pipeline JSON schema buildkite-sdk ships.

`jsonschema` spends most of its time resolving `$ref`s and trying each of the
fourteen step types of `anyOf` in turn: about a millisecond per step here, a
quarter of a second for the largest pipeline. Three transformations keep the
verdict and cut that to a few milliseconds:

- references are inlined once (draft 7: a `$ref` replaces its siblings);
- `anyOf` alternatives are tried command, block and group step first (the
  order of `anyOf` does not change its result);
- within one check, a value already checked against the same sub-schema is
  not checked again (a draft-7 verdict depends on nothing else; values are
  compared by repr, which keeps apart what the schema keeps apart).

When the verdict is "invalid", the plain validator produces the messages.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import jsonschema

# Properties that only the command, block and group step types have.
_FIRST = (("plugins", "agents"), ("block", "blocked_state"), ("group", "steps"))
_cache: dict[str, Any] = {}
_memo: dict[tuple, bool] = {}


def schema_path() -> str:
    spec = importlib.util.find_spec("buildkite_sdk")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - dependency missing
        raise RuntimeError("buildkite-sdk is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "schema.json")


def schema() -> dict:
    if "schema" not in _cache:
        with open(schema_path(), encoding="utf-8") as fh:
            _cache["schema"] = json.load(fh)
    return _cache["schema"]


def problems(pipeline: dict, limit: int = 10) -> list[str]:
    """Empty when `pipeline` is valid; otherwise up to `limit` messages."""
    if _fast_validator().is_valid(pipeline):
        return []
    out = []
    for where, step in _steps(pipeline):
        # Check each step against the one step type it is meant to be: the
        # messages of anyOf over fourteen types say little.
        definition = "groupStep" if "group" in step else "blockStep" if "block" in step else "commandStep"
        if definition == "groupStep":
            step = dict(step, steps=["wait"])  # its steps are checked on their own
        for error in _definition_validator(definition).iter_errors(step):
            field = "/".join(str(p) for p in error.absolute_path)
            label = step.get("key") or step.get("label") or step.get("block") or step.get("group")
            out.append(f"{where} ({label}){' ' + field if field else ''}: {error.message[:300]}")
    if not out:
        plain = jsonschema.validators.validator_for(schema())(schema())
        error = jsonschema.exceptions.best_match(plain.iter_errors(pipeline))
        out.append(f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message[:300]}")
    return out[:limit]


def _steps(pipeline: Any):
    steps = pipeline.get("steps") if isinstance(pipeline, dict) else None
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, dict):
            yield f"steps[{i}]", step
            inner = step.get("steps") if "group" in step else None
            for j, nested in enumerate(inner if isinstance(inner, list) else ()):
                if isinstance(nested, dict):
                    yield f"steps[{i}].steps[{j}]", nested


def _definition_validator(name: str) -> Any:
    if name not in _cache:
        full = schema()
        document = {"$ref": f"#/definitions/{name}", "definitions": full["definitions"]}
        _cache[name] = jsonschema.validators.validator_for(full)(document)
    return _cache[name]


def _fast_validator() -> Any:
    if "fast" not in _cache:
        full = schema()
        flat = _inline({k: v for k, v in full.items() if k != "definitions"}, full, ())
        base = jsonschema.validators.validator_for(full)
        _cache["fast"] = jsonschema.validators.extend(base, {"properties": _memo_properties, "anyOf": _any_of})(flat)
    _memo.clear()  # per check: verdicts of one pipeline's values only
    return _cache["fast"]


def _inline(node: Any, root: dict, seen: tuple) -> Any:
    if isinstance(node, list):
        return [_inline(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"recursive reference {ref} in the pipeline schema")
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return _inline(target, root, seen + (ref,))
    out = {key: _inline(value, root, seen) for key, value in node.items()}
    if isinstance(out.get("anyOf"), list):
        out["anyOf"] = sorted(out["anyOf"], key=_rank)
    return out


def _rank(alternative: Any) -> int:
    properties = alternative.get("properties", {}) if isinstance(alternative, dict) else {}
    for rank, markers in enumerate(_FIRST):
        if all(name in properties for name in markers):
            return rank
    return len(_FIRST)


def _any_of(validator: Any, alternatives: list, instance: Any, schema_: dict) -> Any:
    """anyOf, trying first the alternatives that declare every field the instance has."""
    order = range(len(alternatives))
    if isinstance(instance, dict):
        fields = instance.keys()
        order = sorted(order, key=lambda i: not _declares(alternatives[i], fields))
    errors = []
    for index in order:
        found = list(validator.descend(instance, alternatives[index], schema_path=index))
        if not found:
            return
        errors.extend(found)
    yield jsonschema.exceptions.ValidationError(f"{instance!r:.80} is not valid under any of the given schemas", context=errors)


def _declares(alternative: Any, fields: Any) -> bool:
    properties = alternative.get("properties") if isinstance(alternative, dict) else None
    return isinstance(properties, dict) and all(field in properties for field in fields)


def _memo_properties(validator: Any, properties: dict, instance: Any, schema_: dict) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for prop, subschema in properties.items():
        if prop not in instance:
            continue
        value = instance[prop]
        # repr, not JSON: it tells 1 from "1" and True from 1, as the schema does.
        key = (id(subschema), repr(value))
        verdict = _memo.get(key)
        if verdict is None:
            verdict = _memo[key] = not any(True for _ in validator.descend(value, subschema, path=prop, schema_path=prop))
        if not verdict:
            yield from validator.descend(value, subschema, path=prop, schema_path=prop)
