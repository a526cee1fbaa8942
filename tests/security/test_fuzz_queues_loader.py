"""Fuzzing the queues.yaml loader: any input loads completely or fails with one-line problems.

Inputs are YAML-shaped (random documents, the real file with parts of it
replaced, the real text with lines and YAML syntax spliced in) and
byte-level (random bytes, the real file with bytes changed). The property:
`parse_queues` returns a complete, rule-checked model or raises LoadError,
whose every problem is one line naming the file; nothing else escapes. And
`python main.py` on such input exits 2 with exactly those lines and never
starts a synth.

HYPOTHESIS_PROFILE=long runs many more examples than the default profile
(which keeps `make test` quick and, being derandomized, repeatable).
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import sys
import tempfile
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.queues import rules
from constructs_lib.queues.loader import parse_queues
from constructs_lib.queues.model import QueuesFile
from constructs_lib.queues.problems import LoadError
from tests.conftest import REPO
from tests.security.conftest import ALL_FEATURES

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
EXAMPLES = {"long": 4000}.get(PROFILE, 150)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=PROFILE != "long",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FILE = "queues.yaml"
SEEDS = [(REPO / "queues.yaml").read_bytes(), ALL_FEATURES.read_bytes()]
SEED_DATA = [yaml.load(seed, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) for seed in SEEDS]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Keys of the real file, so that random documents reach deep into the model.
KEYS = [
    "accelerator",
    "agent_token_path",
    "architecture",
    "aws",
    "bucket",
    "cidr_block",
    "count",
    "default_gpu",
    "enabled",
    "existing_vpc",
    "external",
    "gcp",
    "gke",
    "hf_token_secret",
    "instance_types",
    "kubernetes",
    "lock_table",
    "max_size",
    "min_size",
    "networks",
    "node_pools",
    "parameters",
    "queues",
    "region",
    "routing",
    "stack_version",
    "state",
    "tpu",
    "type",
    "vpc_cidr",
    "zone",
]
TRICKY = [
    "on",
    "no",
    "yes",
    "Off",
    "010",
    "0x1F",
    "6.20",
    "1_000",
    "1:20",
    "~",
    "null",
    "true",
    ".inf",
    ".nan",
    "-.inf",
    "",
    " ",
    "v6.71.1",
    "us-west-2",
    "10.0.0.0/16",
    "10.0.0.0/33",
    "g6.4xlarge",
    "r6in.large",
    "l4",
    "tpu",
    "vpc-0123456789abcdef0",
    "subnet-0123456789abcdef0",
    "/buildkite/agent-token",
    "a\nb",
    "é",
    "\u2028",
    "\x00",
    "&a",
    "*a",
    "<<",
    "!!python/object",
    "%YAML",
    "-",
    "?",
    ":",
    "{",
    "[",
    "#",
]
SYNTAX = [
    "&anchor ",
    "*anchor",
    "<<: *anchor\n",
    "!!binary ",
    "!tag ",
    "---\n",
    "...\n",
    "? ",
    "%YAML 1.1\n---\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "- ",
    "#",
    "'",
    '"',
    "|\n",
    ">\n",
    "\ufeff",
    "\r\n",
    "\x85",
    "\xa0",
    "key: value\n",
    "queues:\n",
    "  aws:\n",
    "    min_size: 5\n    max_size: 1\n",
    "    region: eu-west-1\n",
    "      count: 0\n",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(TRICKY),
    st.text(max_size=20),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=12), st.integers(-5, 5), st.booleans())
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=30,
)


def dump(data, flow: bool) -> bytes:
    return yaml.dump(data, Dumper=DUMPER, default_flow_style=flow, allow_unicode=True, sort_keys=False).encode()


def paths(data, prefix=()):
    """Every path into a loaded document (keys and list indexes)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, prefix + (index,))


def replaced(data, path, how, value):
    """A copy of `data` with the node at `path` replaced, deleted, or its key renamed."""
    if not path:
        return value
    if isinstance(data, dict):
        out = dict(data)
        key = path[0]
        if len(path) == 1 and how == "delete":
            del out[key]
        elif len(path) == 1 and how == "rename":
            out[value if isinstance(value, (str, int, bool)) else str(value)] = out.pop(key)
        else:
            out[key] = replaced(data[key], path[1:], how, value)
        return out
    out = list(data)
    if len(path) == 1 and how == "delete":
        del out[path[0]]
    else:
        out[path[0]] = replaced(data[path[0]], path[1:], how, value)
    return out


@st.composite
def mutated_documents(draw) -> bytes:
    """The real file (or the all-features one) with one to three of its nodes replaced, deleted or renamed."""
    data = draw(st.sampled_from(SEED_DATA))
    for _ in range(draw(st.integers(1, 3))):
        candidates = list(paths(data))
        path = draw(st.sampled_from(candidates))
        how = draw(st.sampled_from(["replace", "delete", "rename"] if path else ["replace"]))
        data = replaced(data, path, how, draw(documents))
    return dump(data, draw(st.booleans()))


@st.composite
def spliced_text(draw) -> bytes:
    """The real text with lines deleted, duplicated, re-indented, or YAML syntax spliced in."""
    lines = draw(st.sampled_from(SEEDS)).decode().splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        op = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "splice"]))
        if not lines:
            lines = [draw(st.sampled_from(SYNTAX))]
        elif op == "delete":
            del lines[index]
        elif op == "duplicate":
            lines.insert(index, lines[index])
        elif op == "indent":
            lines[index] = " " * draw(st.integers(1, 3)) + lines[index]
        elif op == "dedent":
            lines[index] = lines[index].lstrip(" ")
        else:
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(st.sampled_from(SYNTAX) | st.text(max_size=6)) + lines[index][at:]
    return "".join(lines).encode()


@st.composite
def flipped_bytes(draw) -> bytes:
    """The real file with bytes overwritten, inserted or removed (invalid UTF-8 included)."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        index = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["set", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if op == "set":
            data[index] = byte
        elif op == "insert":
            data.insert(index, byte)
        else:
            del data[index]
    return bytes(data)


def check(data: bytes):
    """The property: a complete model, or LoadError with one-line problems naming the file."""
    try:
        model = parse_queues(data, FILE)
    except LoadError as err:
        assert err.problems, "LoadError without a problem"
        for problem in err.problems:
            line = str(problem)
            assert line.startswith(f"{FILE}:") or line.startswith(f"{FILE} "), line
            assert len(line.splitlines()) == 1 and not line.endswith("\n"), repr(line)
        assert str(err).splitlines() == [str(p) for p in err.problems]
        return None
    assert isinstance(model, QueuesFile)
    assert rules.check(model) == []  # never a half-checked model
    return model


def test_the_seeds_load():
    # Mutations start from valid files: otherwise every example would fail the same way.
    for seed in SEEDS:
        assert check(seed) is not None


@FUZZ
@given(documents, st.booleans())
def test_random_yaml_documents(data, flow):
    check(dump(data, flow))


@FUZZ
@given(mutated_documents())
def test_the_real_file_with_nodes_replaced(data):
    check(data)


@FUZZ
@given(spliced_text())
def test_the_real_text_with_syntax_spliced_in(data):
    check(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(flipped_bytes())
def test_the_real_file_with_bytes_changed(data):
    check(data)


def test_over_a_mebibyte_is_one_line():
    data = SEEDS[0] + b"#" * (1024 * 1024)
    with pytest.raises(LoadError) as err:
        parse_queues(data, FILE)
    assert str(err.value) == f"{FILE}: file is {len(data)} bytes; the limit is 1048576 (1 MiB)"


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,
        b"{a: " * 5_000,
        b"- " * 20_000 + b"x",
        b"a:\n" + b"".join(b" " * i + b"b:\n" for i in range(1, 200)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences", "block-mappings"],
)
def test_deep_nesting_is_one_line_not_a_crash(data):
    # Found with PyYAML 6.0.3's libyaml: a 100 kB run of "[" exhausted memory instead of failing.
    # The reader stops at 64 levels; newer libyaml builds may stop first, scanning ahead, with their own words.
    with pytest.raises(LoadError) as err:
        parse_queues(data, FILE)
    (line,) = str(err.value).splitlines()
    assert line.startswith(f"{FILE}:"), line
    assert line.endswith(": nested deeper than 64 levels") or line.endswith(
        ": YAML syntax error: exceeded maximum nesting depth"
    ), line


@pytest.fixture(scope="module")
def main_module(monkeypatch_module):
    """main.py with its synth and summary replaced by recorders: a fuzzed run must never reach them."""
    import constructs_lib.infra.app
    import main

    calls = []
    monkeypatch_module.setattr(constructs_lib.infra.app, "synth", lambda model, outdir: calls.append((model, outdir)))
    monkeypatch_module.setattr(main, "print_summary", lambda model, outdir: None)
    return main, calls


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 30))
@given(st.one_of(mutated_documents(), spliced_text(), flipped_bytes()))
def test_main_exits_2_with_the_problem_lines_and_never_synthesizes(main_module, data):
    main, calls = main_module
    calls.clear()
    with tempfile.TemporaryDirectory() as tmp:
        queues = pathlib.Path(tmp) / "queues.yaml"
        queues.write_bytes(data)
        outdir = pathlib.Path(tmp) / "out"
        stdout, stderr = io.StringIO(), io.StringIO()
        argv = ["main.py", "--queues", str(queues), "--outdir", str(outdir)]
        with (
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
            mock.patch.object(sys, "argv", argv),
        ):
            status = main.main()
        try:
            expected = parse_queues(data, str(queues))
        except LoadError as err:
            assert status == 2
            assert stderr.getvalue().splitlines() == [str(p) for p in err.problems]
            assert stdout.getvalue() == "" and calls == [] and not outdir.exists()
        else:
            assert status == 0 and stderr.getvalue() == ""
            assert calls == [(expected, str(outdir))]
