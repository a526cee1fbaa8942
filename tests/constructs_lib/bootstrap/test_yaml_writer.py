"""The YAML writer: whatever it writes, both PyYAML loaders read back exactly, and no reader takes a string for a number."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.bootstrap import yaml_writer

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
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def round_trip(value):
    text = yaml_writer.dump(value)
    for loader in (Loader, yaml.SafeLoader):
        assert same(value, yaml.load(text, Loader=loader)), text
    return text


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "on",
        "1_000",
        "0o17",
        "010",
        "1e3",
        ".5",
        "~",
        "null",
        "",
        " lead",
        "trail ",
        "a: b",
        "a #b",
        "- x",
        "#x",
        "{a}",
        "[a]",
        "*a",
        "&a",
        "!a",
        "|",
        ">",
        "%x",
        "@x",
        "`x`",
        "'q'",
        '"q"',
        "\t",
        "x\ty",
        "\x85",
        "\u2028",
        "\ufeff",
        "\x00",
        "\x7f",
        "a\nb",
        "a\nb\n",
        "a\n\nb\n",
        "a\n\n",
        "\na",
        " a\nb",
        "a \nb",
        "a\n b",
        "$$X",
        "😀",
        "é",
    ],
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


@pytest.mark.parametrize(
    "text", ["0o17", "0x1F", "1e3", "123e4", "1_000", "yes", "on", "null", "~", ".inf", "-.5", "12:30"]
)
def test_quoted_where_a_yaml_1_1_or_1_2_reader_would_not_read_a_string(text):
    # Buildkite's parser follows YAML 1.2, PyYAML 1.1: a plain 123e4 (a short
    # commit hash) is a string to one and a float to the other.
    assert yaml_writer.dump({"env": {"COMMIT": text}}) == f"env:\n  COMMIT: '{text}'\n"


def test_a_string_single_quotes_cannot_hold_is_double_quoted():
    assert yaml_writer.dump({"k": "tab\there\x07"}) == 'k: "tab\\there\\a"\n'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(json_values)
def test_any_json_value_round_trips(value):
    round_trip({"steps": value})


def test_libyaml_reads_and_writes_where_present():
    from constructs_lib.queues import strict_yaml

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here")
    assert issubclass(yaml_writer._PipelineDumper, yaml.CSafeDumper)
    assert issubclass(strict_yaml._Loader, yaml.CSafeLoader)
