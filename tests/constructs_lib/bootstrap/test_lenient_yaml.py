"""The lenient reader gives what yaml.safe_load gives, plus lines, and fails with problems, never crashes."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.bootstrap import lenient_yaml
from constructs_lib.queues.problems import LoadError

from .fuzz_settings import FUZZ


def load(text: str):
    return lenient_yaml.load(textwrap.dedent(text).encode(), "f.yaml")


def test_yaml_1_1_readings_as_pyyaml_makes_them():
    text = "a: True\nb: yes\nc: 010\nd: 1_000\ne: '010'\nf: ~\ng: 2024-01-02\nh: 0x1f\ni: 1.5\n"
    doc, warnings = load(text)
    assert doc.data == yaml.safe_load(text)
    assert warnings == []


def test_anchors_aliases_and_merge_keys():
    text = """\
    base: &base {a: 1, b: 2}
    deps: &deps [x/, y/]
    step:
      <<: *base
      b: 3
      source_file_dependencies: *deps
    many:
      <<: [{p: 1}, {p: 2, q: 2}]
    """
    doc, _ = load(text)
    assert doc.data == yaml.safe_load(textwrap.dedent(text))
    assert doc.data["step"] == {"a": 1, "b": 3, "source_file_dependencies": ["x/", "y/"]}


def test_lines_of_keys_and_items():
    doc, _ = load("steps:\n- label: a\n  command: x\n- label: b\n  commands:\n  - y\n")
    assert doc.line_of(("steps", 1, "commands")) == 5
    assert doc.line_of(("steps", 1, "commands", 0)) == 6
    assert doc.line_of(("steps", 0, "label")) == 2


def test_duplicate_keys_warn_and_the_later_wins():
    doc, warnings = load("a: 1\na: 2\n")
    assert doc.data == {"a": 2}
    assert [str(w) for w in warnings] == ["f.yaml:2: a: duplicate key; the later value wins (first at line 1)"]


def test_empty_and_comment_only_files_are_none():
    assert load("")[0].data is None
    assert load("# nothing\n")[0].data is None


@pytest.mark.parametrize(
    "text, words",
    [
        ("a: 1\n---\nb: 2\n", "f.yaml:2: several YAML documents in one file; keep one"),
        ("a: &x [*x]\n", "f.yaml:1: a[0]: alias *x refers to a value that contains it"),
        ("a: *nowhere\n", "alias *nowhere"),
        ("a: !!python/object:os.system x\n", "f.yaml:1: a: cannot read"),
        ("a: 2024-13-45\n", "f.yaml:1: a: cannot read '2024-13-45'"),
        ("a: !!set {x, y}\n", "tag tag:yaml.org,2002:set is not supported"),
        ("? [a]\n: b\n", "mapping keys must be plain values"),
        ("a: [1\n", "YAML syntax error"),
        ("<<: 3\n", "a merge key (<<) takes a mapping or a list of mappings"),
    ],
)
def test_refusals_are_problems(text, words):
    with pytest.raises(LoadError) as err:
        load(text)
    assert any(words in str(p) for p in err.value.problems), [str(p) for p in err.value.problems]


def test_deep_nesting_is_a_problem_not_a_crash():
    # libyaml's composer recurses in C: this input kills a yaml.compose() caller.
    # Newer libyaml builds stop the parser first; either way it is one problem line.
    with pytest.raises(LoadError, match="nested deeper than|exceeded maximum nesting depth"):
        lenient_yaml.load(b"[" * 200_000 + b"]" * 200_000, "f.yaml")


def _laughs(levels: int) -> str:
    return "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefghij", "bcdefghijk"[: levels - 1], strict=False)
    )


def test_alias_expansion_is_shared_not_copied():
    doc, _ = load(_laughs(5))  # 9**5 values expanded: read, and shared
    assert doc.data["e"][0] is doc.data["e"][1]


def test_an_alias_bomb_is_one_problem_line_not_a_memory_error():
    with pytest.raises(LoadError) as err:
        load(_laughs(8))  # 9**8 values expanded: everything downstream would walk them all
    (problem,) = err.value.problems
    assert problem.line == 7 and "aliases expand this to more than 1,000,000 values" in problem.message


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["yes", "No", "on", "010", "0x1F", "1_000", "2024-01-02", "~", "<<", "True", ".inf"]),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(["label", "steps", "<<"]), children, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(documents, st.sampled_from([None, True, False]))
def test_same_data_as_safe_load(document, flow):
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    try:
        doc, _ = lenient_yaml.load(text.encode(), "f.yaml")
    except LoadError:
        # Only for what safe_load reads too but this reader refuses on purpose.
        assert "<<" in text
        return
    assert doc.data == expected


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_load_or_fail_with_problems(data):
    try:
        lenient_yaml.load(data, "f.yaml")
    except LoadError as err:
        assert err.problems and all(p.file == "f.yaml" for p in err.problems)
