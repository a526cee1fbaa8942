"""Fuzzing both step-file formats: any input loads or fails with LoadError, never another exception.

Inputs are arbitrary bytes, YAML-shaped documents and step-shaped mappings
with the formats' own field names and values of every kind. When generation
succeeds, the pipeline is whole; when it fails, the command line writes
nothing. HYPOTHESIS_PROFILE=long runs many more examples.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

import yaml
from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.bootstrap import formats, lenient_yaml, pipeline_schema
from constructs_lib.bootstrap.cli import main
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.bootstrap.profiles.vllm import VLLM
from constructs_lib.bootstrap.step_model import STEP_FIELDS as FIELDS
from constructs_lib.queues.problems import LoadError

from .fuzz_settings import FUZZ
from .helpers import QUEUES_2024, fleet_2024

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 20),
    st.floats(allow_nan=True),
    st.text(max_size=10),
    st.sampled_from(
        ["vllm/", "a100", "h100", "amd", "amdexperimental", "mi325_1", "image-build", "-1", "*", "%N", "$X", "yes"]
    ),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(list(FIELDS)), children, max_size=3)
    ),
    max_leaves=12,
)
step_fields = st.dictionaries(st.sampled_from(sorted(FIELDS) + ["extra", "agent_pool"]), values, max_size=8)
steps = st.fixed_dictionaries({"label": st.text(min_size=1, max_size=12), "command": st.text(max_size=10)}).flatmap(
    lambda base: step_fields.map(lambda more: {**base, **more})
)
documents = st.one_of(
    values,
    st.fixed_dictionaries({"steps": st.lists(steps, max_size=4)}),
    st.fixed_dictionaries({"group": values, "depends_on": values, "steps": st.lists(steps | values, max_size=3)}),
    st.fixed_dictionaries({"group": st.text("abc ", min_size=1, max_size=8), "steps": st.lists(steps, max_size=4)}),
)


def outcome(load):
    """Run `load` -> Source, then generate; returns the Result, or None after a LoadError."""
    try:
        source = load()
        result = generate(source, fleet_2024(), Options(changed_files=("vllm/x.py",), branch="b"))
    except LoadError as err:
        assert err.problems and all(str(p) for p in err.problems)
        return None
    assert yaml.load(result.yaml, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == result.pipeline
    assert pipeline_schema.problems(result.pipeline) == []
    return result


def single_file(data: bytes):
    doc, warnings = lenient_yaml.load(data, "test-pipeline.yaml")
    return formats.single_file(doc, warnings, VLLM)


def job_file(data: bytes):
    doc, warnings = lenient_yaml.load(data, ".buildkite/test_areas/x.yaml")
    config = formats.CiConfig(
        "ci_config.yaml", ((".buildkite/test_areas", 2),), ("setup.py",), (), VLLM.images, (), VLLM
    )
    return formats.current_layout(config, [(doc, ".buildkite/test_areas/x.yaml", warnings)])


def dumped(document) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True).encode()


@FUZZ
@given(st.binary(max_size=400))
def test_single_file_any_bytes(data):
    outcome(lambda: single_file(data))


@FUZZ
@given(st.binary(max_size=400))
def test_job_file_any_bytes(data):
    outcome(lambda: job_file(data))


@FUZZ
@given(documents)
def test_single_file_yaml_shaped(document):
    outcome(lambda: single_file(dumped(document)))


@FUZZ
@given(documents)
def test_job_file_yaml_shaped(document):
    outcome(lambda: job_file(dumped(document)))


@FUZZ
@given(st.binary(max_size=200), st.integers(0, 2000))
def test_mutated_real_shapes(noise, position):
    base = dumped(
        {
            "steps": [
                {"label": "A", "source_file_dependencies": ["vllm/"], "commands": ["x"], "mirror_hardwares": ["amd"]}
            ]
        }
    )
    position = min(position, len(base))
    outcome(lambda: single_file(base[:position] + noise + base[position:]))


@FUZZ
@given(documents)
def test_command_line_writes_whole_output_or_none(document):
    with tempfile.TemporaryDirectory() as tmp:
        pipeline, out = os.path.join(tmp, "test-pipeline.yaml"), os.path.join(tmp, "out.yaml")
        with open(pipeline, "wb") as fh:
            fh.write(dumped(document))
        with open(os.devnull, "w") as quiet:
            with contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):
                code = main(["--pipeline", pipeline, "--queues", str(QUEUES_2024), "--output", out])
        assert code in (0, 2)
        if code == 2:
            assert sorted(os.listdir(tmp)) == ["test-pipeline.yaml"]
        else:
            with open(out, encoding="utf-8") as fh:
                assert "steps" in yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
