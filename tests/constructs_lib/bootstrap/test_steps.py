"""Step fields: invalid values of known fields are problems with file, line and field; unknown fields are warnings."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap import lenient_yaml
from constructs_lib.queues.problems import LoadError

from .helpers import single


def problems(text: str) -> list[str]:
    """Every problem of a file: what refuses it whole, else what breaks its steps (each of which then fails alone)."""
    try:
        source = single(text)
    except LoadError as err:
        return [str(p) for p in err.problems]
    found = [str(p) for s in source.steps for p in s.broken]
    assert found, "the file has no problem"
    return found


def step_problem(fields: str) -> list[str]:
    return problems(f"steps:\n- label: S\n  command: x\n  {fields}\n")


@pytest.mark.parametrize(
    "fields, expected",
    [
        ("num_gpus: '2'", "test-pipeline.yaml:4: steps[0].num_gpus: must be a whole number, not a string"),
        ("num_gpus: 0", "test-pipeline.yaml:4: steps[0].num_gpus: must be at least 1 (got 0)"),
        ("parallelism: 2.5", "test-pipeline.yaml:4: steps[0].parallelism: must be a whole number, not a number"),
        ("optional: maybe", "test-pipeline.yaml:4: steps[0].optional: must be true or false, not a string"),
        (
            "soft_fail: 2",
            "test-pipeline.yaml:4: steps[0].soft_fail: must be true, false or a list of {exit_status: N}, not a number",
        ),
        (
            "source_file_dependencies: vllm/",
            "test-pipeline.yaml:4: steps[0].source_file_dependencies: must be a list of strings, not a string",
        ),
        (
            "source_file_dependencies: ['']",
            "test-pipeline.yaml:4: steps[0].source_file_dependencies: item 0 is empty; an empty prefix would match every file",
        ),
        (
            "mirror_hardwares: [1]",
            "test-pipeline.yaml:4: steps[0].mirror_hardwares: item 0 must be a string, not a number",
        ),
        (
            "gpu: 'a 100'",
            "test-pipeline.yaml:4: steps[0].gpu: 'a 100' is not a valid name (letters, digits, '_', '.', '-')",
        ),
        (
            "key: 'has space'",
            "test-pipeline.yaml:4: steps[0].key: 'has space' is not a valid step key (letters, digits and _-:.,)",
        ),
        ("key: $KEY", "test-pipeline.yaml:4: steps[0].key: '$KEY' is not a valid step key (letters, digits and _-:.,)"),
        ("env: {A: [1]}", "test-pipeline.yaml:4: steps[0].env: A: must be a string or number, not a list"),
        ("env: {'1A': x}", "test-pipeline.yaml:4: steps[0].env: '1A' is not a valid environment variable name"),
        (
            "retry: {automatic: {exit_status: x}}",
            "test-pipeline.yaml:4: steps[0].retry: exit_status must be a whole number from -255 to 255, a list of them, or '*'",
        ),
        (
            "retry: {automatic: {exit_status: 9007199254740993}}",
            "test-pipeline.yaml:4: steps[0].retry: exit_status must be a whole number from -255 to 255, a list of them, or '*'",
        ),
        (
            "soft_fail: [{exit_status: 256}]",
            "test-pipeline.yaml:4: steps[0].soft_fail: exit_status must be a whole number from -255 to 255 or '*'",
        ),
        (
            "parallelism: 1000000000",
            "test-pipeline.yaml:4: steps[0].parallelism: must be at most 1000 (jobs of one step; got 1000000000)",
        ),
        (
            "timeout_in_minutes: 100000",
            "test-pipeline.yaml:4: steps[0].timeout_in_minutes: must be at most 10080 (a week; got 100000)",
        ),
        (
            "num_gpus: 100000",
            "test-pipeline.yaml:4: steps[0].num_gpus: must be at most 64 (accelerators per node; got 100000)",
        ),
        (
            "retry: {sometimes: true}",
            "test-pipeline.yaml:4: steps[0].retry: unknown retry field 'sometimes' (automatic, manual)",
        ),
        (
            "timeout_in_minutes: true",
            "test-pipeline.yaml:4: steps[0].timeout_in_minutes: must be a whole number, not a boolean",
        ),
        ("commands: [a]", "test-pipeline.yaml:3: steps[0].command: give either command or commands, not both"),
        ("no_gpu: true\n  gpu: a100", "test-pipeline.yaml:4: steps[0].no_gpu: no_gpu contradicts gpu: a100"),
        (
            "mirror: [amd]",
            "test-pipeline.yaml:4: steps[0].mirror: must be a mapping of hardware names to settings, not a list",
        ),
        (
            "mirror: {amd: {device: 3}}",
            "test-pipeline.yaml:4: steps[0].mirror.amd.device: must be a string, not a number",
        ),
    ],
)
def test_invalid_values_of_known_fields(fields, expected):
    assert step_problem(fields) == [expected]


def test_every_problem_is_reported_at_once():
    found = problems("steps:\n- label: A\n  command: x\n  num_gpus: two\n- label: B\n  command: y\n  optional: 1\n")
    assert found == [
        "test-pipeline.yaml:4: steps[0].num_gpus: must be a whole number, not a string",
        "test-pipeline.yaml:7: steps[1].optional: must be true or false, not a number",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- label: a\n", "test-pipeline.yaml:1: the top level must be a mapping with steps, not a list"),
        ("steps: {label: a}\n", "test-pipeline.yaml:1: steps: must be a list of steps, not a mapping"),
        ("steps:\n- just a string\n", "test-pipeline.yaml:2: steps[0]: a step must be a mapping, not a string"),
        ("steps:\n- command: x\n", "test-pipeline.yaml:2: steps[0]: a step needs a label"),
        ("steps:\n- label: x\n", "test-pipeline.yaml:2: steps[0]: a step needs command or commands"),
        (
            "steps:\n- label: x\n  commands: []\n",
            "test-pipeline.yaml:3: steps[0].commands: must be a string or a non-empty list, not an empty list",
        ),
        (
            "steps:\n- label: x\n  commands: [[a], [b]]\n",
            "test-pipeline.yaml:3: steps[0].commands: lists of command lists are for num_nodes of 2 or more",
        ),
        (
            "steps:\n- label: x\n  num_nodes: 3\n  num_gpus: 1\n  commands: [[a], [b]]\n",
            "test-pipeline.yaml:5: steps[0].commands: num_nodes is 3: give one command list per node (got 2)",
        ),
        ("steps:\n- label: [x]\n  command: a\n", "test-pipeline.yaml:2: steps[0].label: must be a string, not a list"),
        ("steps:\n- label: '  '\n  command: a\n", "test-pipeline.yaml:2: steps[0].label: must not be empty"),
    ],
)
def test_malformed_single_files(text, expected):
    assert problems(text) == [expected]


def test_yaml_errors_name_the_line():
    (found,) = problems("steps:\n- label: a\n  command: [unclosed\n- label: b\n")
    assert found.startswith("test-pipeline.yaml:4: YAML syntax error:")


def test_not_utf8():
    with pytest.raises(LoadError) as err:
        lenient_yaml.load(b"steps: []\n# caf\xe9\n", "test-pipeline.yaml")
    assert [str(p) for p in err.value.problems] == ["test-pipeline.yaml:2: not valid UTF-8 (byte 0xe9 at offset 15)"]


def test_unknown_fields_are_warnings_once_per_file():
    source = single(
        "steps:\n- label: a\n  command: x\n  agent_pool: mi250_1\n- label: b\n  command: y\n  agent_pool: mi250_2\n"
    )
    assert len(source.steps) == 2
    assert [str(w) for w in source.warnings] == [
        "test-pipeline.yaml:4: unknown step field 'agent_pool' (2 steps, first at line 4); ignored"
    ]


def test_pyyaml_readings_of_the_real_files_load():
    source = single(
        """\
        common: &deps
          - vllm/
        steps:
        - label: Docs
          no_gpu: True
          source_file_dependencies: *deps
          command: make html
        """
    )
    (docs,) = source.steps
    assert docs.no_gpu is True and docs.dependencies == ("vllm/",)
    assert [str(w) for w in source.warnings] == ["test-pipeline.yaml:1: common: unknown top-level key; ignored"]


def test_comments_only_file_has_no_steps_and_a_warning():
    source = single("# deprecated; see ci_config.yaml\n")
    assert source.steps == ()
    assert [str(w) for w in source.warnings] == ["test-pipeline.yaml:1: the file holds no steps (comments only)"]


def test_empty_values_mean_not_given():
    (s,) = single("steps:\n- label: a\n  command: x\n  source_file_dependencies:\n  optional:\n").steps
    assert s.dependencies is None and s.optional is False


def test_device_decides_over_gpu_with_a_warning():
    source = single("steps:\n- label: a\n  command: x\n  device: h200_35gb\n  gpu: h100\n")
    assert source.steps[0].device == "h200_35gb" and source.steps[0].accelerator is None
    assert [str(w) for w in source.warnings] == [
        "test-pipeline.yaml:5: steps[0].gpu: ignored: device 'h200_35gb' decides where the step runs"
    ]


@pytest.mark.parametrize(
    "entry, why",
    [
        ("/vllm/core/", "changed files are relative to the repository root"),
        (" vllm/core/", "it begins or ends with white space"),
        ("vllm/core/ ", "it begins or ends with white space"),
        ("../vllm/", "changed files are written without ./ and .. parts"),
        ("./vllm/", "changed files are written without ./ and .. parts"),
        ("!/vllm/x/", "changed files are relative to the repository root"),
    ],
)
def test_a_dependency_that_can_never_match_is_a_warning(entry, why):
    from constructs_lib.bootstrap.steps import never_matches

    assert never_matches(entry) == why
    assert never_matches("vllm/core/") is None and never_matches("!vllm/core/x/") is None
