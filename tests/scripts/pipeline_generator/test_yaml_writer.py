"""The YAML writer: whatever it writes, yaml.safe_load (libyaml's C loader) reads back exactly."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scripts.pipeline_generator import yaml_writer

from .fuzz_settings import FUZZ

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as Loader


def same(a, b) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def round_trip(value):
    text = yaml_writer.dump(value)
    for loader in (Loader, yaml.SafeLoader):
        assert same(value, yaml.load(text, Loader=loader)), text
    return text


@pytest.mark.parametrize(
    "text",
    ["yes", "No", "on", "1_000", "0o17", "010", "1e3", ".5", "~", "null", "", " lead", "trail ", "a: b", "a #b", "- x", "#x",
     "{a}", "[a]", "*a", "&a", "!a", "|", ">", "%x", "@x", "`x`", "'q'", '"q"', "\t", "x\ty", "\x85", "\u2028", "\ufeff",
     "\x00", "\x7f", "a\nb", "a\nb\n", "a\n\nb\n", "a\n\n", "\na", " a\nb", "a \nb", "a\n b", "$$X", "😀", "é"],
)
def test_awkward_strings(text):
    round_trip({"k": text, "list": [text], text or "e": 1})


def test_multi_line_commands_are_literal_blocks():
    text = round_trip({"commands": ["pytest a\npytest b\n"]})
    assert text == "commands:\n- |\n  pytest a\n  pytest b\n"


def test_plain_where_it_is_safe():
    assert yaml_writer.dump({"label": "Kernels Test %N", "queue": "gpu_1_queue", "n": 3, "t": True}) == (
        "label: Kernels Test %N\nqueue: gpu_1_queue\nn: 3\nt: true\n"
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(json_values)
def test_any_json_value_round_trips(value):
    round_trip({"steps": value})
