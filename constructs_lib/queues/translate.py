"""pydantic's validation errors as one line per problem: `file:line: key.path: message`.

Shared by queues.yaml (the queue model) and the step files (the step model of
the bootstrap): each error is named by its key path, placed by the line that
path has in the document, and said in words (a mismatched pattern by what it
means, an unknown key with the closest known one, a validator by its own
sentence). Pure.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from constructs_lib.queues.model import PATTERN_NAMES
from constructs_lib.queues.problems import Problem, kind_of
from constructs_lib.queues.strict_yaml import Document


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated to the type that holds further keys."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        else:
            return annotation


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class that holds the keys at `loc`, if any."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list, tuple):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _message(error: Any, doc: Document, loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    kind = error["type"]
    value = error.get("input")
    raw = doc.raw.get(loc)
    shown = f" ({value!r})" if isinstance(value, str) else f" ({raw})" if raw is not None else ""
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], root)
        close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1) if model else []
        return "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # a validator's own sentence
    if kind == "missing":
        return "required key is missing"
    if kind == "int_type":
        return f"must be a whole number, not {kind_of(value)}{shown}"
    if kind == "bool_type":
        return f"must be true or false, not {kind_of(value)}{shown}"
    if kind == "string_type":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and raw is not None:
            return f"must be a string; YAML reads {raw} as a number: quote it ('{raw}')"
        return f"must be a string, not {kind_of(value)}"
    if kind == "string_pattern_mismatch":
        what = PATTERN_NAMES.get(ctx.get("pattern", ""), "value of the required form")
        return f"{value!r} is not a valid {what}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        limit = next(iter(ctx.values()))
        return f"must be {sign} {limit} (got {value})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {value!r})"
    if kind in ("too_short", "too_long"):
        return f"{'needs at least' if kind == 'too_short' else 'takes at most'} {ctx.get('min_length', ctx.get('max_length'))} item(s)"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping, not {kind_of(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, not {kind_of(value)}"
    return str(error["msg"])


def translate(
    err: ValidationError, doc: Document, root: type[BaseModel], prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    """One `file:line: key.path: message` per problem of `err`, `root` validated at `prefix` of `doc`."""
    problems = []
    seen_union: set[Any] = set()
    for error in err.errors(include_url=False):
        loc = tuple(error["loc"])
        if "[key]" in loc:
            # A bad mapping key, e.g. a queue name: report the key itself.
            loc = loc[: loc.index("[key]")]
        # A value allowed several types (str|int|bool) fails once per type; say it once.
        if loc in seen_union:
            continue
        if len(loc) >= 1 and loc[-1] in ("str", "int", "bool"):
            seen_union.add(loc[:-1])
            problems.append(
                doc.problem(
                    prefix + loc[:-1], f"must be a string, number or boolean, not {kind_of(error.get('input'))}"
                )
            )
            continue
        problems.append(doc.problem(prefix + loc, _message(error, doc, prefix + loc, root)))
    return problems
