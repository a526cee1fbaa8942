"""The loader refuses each kind of bad input with one line naming file, line and key."""

from __future__ import annotations

import pytest

from constructs_lib.queues.loader import parse_queues
from constructs_lib.queues.problems import LoadError
from tests.constructs_lib.queues.minimal_queues import MINIMAL, edit, problems

FILE = "queues.yaml"


def test_minimal_file_loads():
    model = parse_queues(MINIMAL.encode(), FILE)
    assert list(model.queues) == ["cpu_queue", "gpu_4_queue"]
    assert model.queues["gpu_4_queue"].aws.max_size == 8
    assert model.queues["gpu_4_queue"].hosting == "aws"


def test_default_queues_yaml_loads(repo):
    from constructs_lib.queues.loader import load_queues

    model = load_queues(repo / "queues.yaml")
    assert {
        "bootstrap",
        "small_cpu_queue_premerge",
        "cpu_queue_premerge_us_east_1",
        "gpu_1_queue",
        "gpu_4_queue",
        "tpu",
        "a100_queue",
    } <= set(model.queues)
    example = load_queues(repo / "examples" / "queues-vllm-2024.yaml")
    assert {"bootstrap", "small_cpu_queue", "cpu_queue", "gpu_1_queue", "gpu_4_queue", "tpu", "a100-queue"} <= set(
        example.queues
    )


# --- reading ---------------------------------------------------------------


def test_bytes_that_are_not_utf8():
    offset = len(MINIMAL.encode()) + 5
    assert problems(MINIMAL.encode() + b"# caf\xe9\n") == [
        f"queues.yaml:26: not valid UTF-8 (byte 0xe9 at offset {offset})"
    ]


def test_empty_file():
    assert problems("") == ["queues.yaml:1: file is empty"]
    assert problems("# only a comment\n") == ["queues.yaml:1: file is empty"]


def test_several_documents():
    assert problems(MINIMAL + "---\nqueues: {}\n") == ["queues.yaml:26: several YAML documents in one file; keep one"]


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "a list"), ("just text\n", "a string"), ("42\n", "a number")])
def test_top_level_not_a_mapping(text, kind):
    assert problems(text) == [f"queues.yaml:1: the top level must be a mapping (got {kind})"]


def test_duplicate_key():
    text = edit("      max_size: 4\n", "      max_size: 4\n      max_size: 6\n")
    assert problems(text) == ["queues.yaml:20: queues.cpu_queue.aws.max_size: duplicate key (first defined at line 19)"]


def test_duplicate_queue_name():
    text = MINIMAL + "  cpu_queue:\n    external: {}\n"
    assert problems(text) == ["queues.yaml:26: queues.cpu_queue: duplicate key (first defined at line 15)"]


def test_anchor_and_alias():
    text = edit("      max_size: 4\n", "      max_size: &big 4\n").replace("max_size: 8", "max_size: *big")
    assert problems(text) == [
        "queues.yaml:19: queues.cpu_queue.aws.max_size: anchors are not allowed (&big); write the value out",
        "queues.yaml:25: queues.gpu_4_queue.aws.max_size: aliases are not allowed (*big); write the value out",
    ]


def test_merge_key():
    text = edit("    accelerator: {type: l4, count: 4}\n", "    <<: {accelerator: {type: l4, count: 4}}\n")
    assert problems(text) == ["queues.yaml:21: queues.gpu_4_queue: merge keys (<<) are not allowed; write the keys out"]


def test_tag():
    text = edit("      max_size: 4\n", "      max_size: !!int 4\n")
    assert problems(text) == [
        "queues.yaml:19: queues.cpu_queue.aws.max_size: tags are not allowed (tag:yaml.org,2002:int)"
    ]


def test_yaml_syntax_error():
    text = edit("      instance_types: [r6in.large]\n", "      instance_types: [r6in.large\n")
    assert problems(text)[0].startswith("queues.yaml:18: YAML syntax error:")


def test_file_over_one_mib(tmp_path):
    from constructs_lib.queues.loader import load_queues

    big = tmp_path / "queues.yaml"
    big.write_text(MINIMAL + "#" * (1024 * 1024) + "\n")
    with pytest.raises(LoadError) as caught:
        load_queues(big, FILE)
    assert [str(p) for p in caught.value.problems] == [
        f"queues.yaml: file is {1024 * 1024 + 1} bytes; the limit is 1048576 (1 MiB)"
    ]


# --- YAML 1.1 surprises -----------------------------------------------------


@pytest.mark.parametrize("word", ["on", "no", "yes", "off", "Yes", "NO"])
def test_yaml11_boolean_words(word):
    text = edit("      max_size: 4\n", f"      max_size: 4\n      builder: {word}\n")
    assert problems(text) == [
        f"queues.yaml:20: queues.cpu_queue.aws.builder: '{word}' is read as a boolean by YAML 1.1 tools; write true/false, or quote it"
    ]


def test_leading_zero_number():
    text = edit("      max_size: 4\n", "      max_size: 010\n")
    assert problems(text) == [
        "queues.yaml:19: queues.cpu_queue.aws.max_size: '010' has a leading zero (YAML 1.1 reads it as octal); write it without, or quote it"
    ]


def test_sexagesimal_number():
    text = edit("      max_size: 4\n", "      max_size: 1:30\n")
    assert problems(text) == [
        "queues.yaml:19: queues.cpu_queue.aws.max_size: '1:30' is read differently by YAML 1.1 tools; write a plain decimal, or quote it"
    ]


def test_version_read_as_number():
    text = edit("  stack_version: v6.71.1\n", "  stack_version: 6.20\n")
    assert problems(text) == [
        "queues.yaml:3: aws.stack_version: must be a string; YAML reads 6.20 as a number: quote it ('6.20')"
    ]


# --- shape and types --------------------------------------------------------


def test_unknown_key_with_suggestion():
    text = edit("      max_size: 4\n", "      max_size: 4\n      max_sise: 5\n")
    assert problems(text) == ["queues.yaml:20: queues.cpu_queue.aws.max_sise: unknown key (did you mean 'max_size'?)"]


def test_unknown_top_level_key_without_suggestion():
    assert problems(MINIMAL + "zzz: 1\n") == ["queues.yaml:26: zzz: unknown key"]


def test_missing_required_key():
    text = edit("      max_size: 4\n", "")
    assert problems(text) == ["queues.yaml:16: queues.cpu_queue.aws.max_size: required key is missing"]


@pytest.mark.parametrize("name", ["bad name", "-leading", "a/b", "x" * 64])
def test_invalid_queue_name(name):
    text = edit("  cpu_queue:\n", f"  '{name}':\n")
    assert problems(text) == [
        f"queues.yaml:15: queues.{name}: '{name}' is not a valid queue name (letters, digits, '_', '.', '-'; at most 63)"
    ]


def test_two_queues_with_the_same_stack_name():
    text = MINIMAL + "  gpu-4-queue:\n    aws:\n      instance_types: [g6.12xlarge]\n      max_size: 1\n"
    assert problems(text) == [
        "queues.yaml:26: queues.gpu-4-queue: gives the stack name bk-gpu-4-queue, as queue gpu_4_queue does (IAM names ignore case); rename one"
    ]


def test_min_greater_than_max():
    text = edit("      max_size: 8\n", "      max_size: 0\n")
    assert problems(text) == ["queues.yaml:25: queues.gpu_4_queue.aws.max_size: must be >= min_size (0 < 1)"]


def test_negative_size():
    text = edit("      min_size: 0\n", "      min_size: -1\n")
    assert problems(text) == ["queues.yaml:18: queues.cpu_queue.aws.min_size: must be >= 0 (got -1)"]


@pytest.mark.parametrize(
    "value, message",
    [
        ("true", "must be a whole number, not a boolean (true)"),
        ("4.0", "must be a whole number, not a number (4.0)"),
        ("'4'", "must be a whole number, not a string ('4')"),
    ],
)
def test_wrong_type_where_an_integer_belongs(value, message):
    text = edit("      max_size: 4\n", f"      max_size: {value}\n")
    assert problems(text) == [f"queues.yaml:19: queues.cpu_queue.aws.max_size: {message}"]


@pytest.mark.parametrize("instance_type", ["g6_12xlarge", "G6.xlarge", "g6.", "g6 12xlarge"])
def test_malformed_instance_type(instance_type):
    text = edit("[g6.12xlarge]", f"['{instance_type}']")
    assert problems(text) == [
        f"queues.yaml:23: queues.gpu_4_queue.aws.instance_types[0]: '{instance_type}' is not a valid EC2 instance type like g6.4xlarge"
    ]


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.1/16", "300.0.0.0/8", "not-a-cidr"])
def test_invalid_cidr(cidr):
    text = edit("vpc_cidr: 10.0.0.0/16", f"vpc_cidr: '{cidr}'")
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(f"queues.yaml:11: aws.networks.us-west-2.vpc_cidr: invalid CIDR '{cidr}': ")


def test_queue_needs_exactly_one_hosting():
    text = edit("    accelerator: {type: l4, count: 4}\n", "    accelerator: {type: l4, count: 4}\n    external: {}\n")
    assert problems(text) == [
        "queues.yaml:20: queues.gpu_4_queue: needs exactly one of aws, tpu, kubernetes, external to say how it is hosted (got aws and external)"
    ]


def test_region_without_network():
    text = edit("      max_size: 8\n", "      max_size: 8\n      region: eu-west-1\n")
    assert problems(text) == [
        "queues.yaml:26: queues.gpu_4_queue.aws.region: region eu-west-1 has no entry under aws.networks"
    ]


def test_every_problem_is_reported_at_once():
    text = edit("      max_size: 4\n", "      max_size: -4\n      builer: true\n").replace(
        "[g6.12xlarge]", "[g6_12xlarge]"
    )
    assert len(problems(text)) == 3


# --- Elastic CI Stack parameter overrides -----------------------------------


def with_parameters(block: str, version: str = "v6.71.1") -> str:
    text = edit("      max_size: 4\n", "      max_size: 4\n      parameters:\n" + block)
    return text.replace("stack_version: v6.71.1", f"stack_version: {version}")


def test_unknown_parameter_with_suggestion():
    assert problems(with_parameters("        AgentsPerInstanse: 2\n")) == [
        "queues.yaml:21: queues.cpu_queue.aws.parameters.AgentsPerInstanse: unknown Elastic CI Stack v6.71.1 parameter (did you mean 'AgentsPerInstance'?)"
    ]


def test_parameter_outside_allowed_values():
    assert problems(with_parameters("        BuildkiteAgentRelease: nightly\n")) == [
        "queues.yaml:21: queues.cpu_queue.aws.parameters.BuildkiteAgentRelease: must be one of stable, oldstable, beta, edge (got 'nightly')"
    ]


def test_parameter_against_allowed_pattern():
    found = problems(with_parameters("        ScaleUpSchedule: every morning\n"))
    assert len(found) == 1
    assert found[0].startswith(
        "queues.yaml:21: queues.cpu_queue.aws.parameters.ScaleUpSchedule: does not match the stack's AllowedPattern"
    )


def test_parameter_below_min_value():
    assert problems(with_parameters("        RootVolumeSize: 5\n")) == [
        "queues.yaml:21: queues.cpu_queue.aws.parameters.RootVolumeSize: must be >= 10 (got 5)"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "BuildkiteQueue",
        "MinSize",
        "MaxSize",
        "InstanceTypes",
        "BuildkiteAgentTokenParameterStorePath",
        "VpcId",
        "Subnets",
    ],
)
def test_parameter_the_toolkit_sets(name):
    assert problems(with_parameters(f"        {name}: x1\n")) == [
        f"queues.yaml:21: queues.cpu_queue.aws.parameters.{name}: set by the toolkit from the queue model; use the queue's own keys instead"
    ]


def test_parameter_that_only_a_newer_version_has():
    # ScalerEnableExperimentalElasticCIMode exists in v6.71.1, not in v6.21.0.
    block = "        ScalerEnableExperimentalElasticCIMode: true\n"
    assert parse_queues(with_parameters(block).encode(), FILE)
    assert problems(with_parameters(block, "v6.21.0"))[0].startswith(
        "queues.yaml:21: queues.cpu_queue.aws.parameters.ScalerEnableExperimentalElasticCIMode: unknown Elastic CI Stack v6.21.0 parameter"
    )


def test_stack_version_without_catalog():
    text = edit("stack_version: v6.71.1", "stack_version: v6.20.0")
    assert problems(text)[0] == (
        "queues.yaml:3: aws.stack_version: no parameter catalog for Elastic CI Stack v6.20.0 (have v6.21.0, v6.71.1); "
        "add it with scripts/make_stack_catalog.py"
    )


def test_shared_defaults_parameters_are_checked_too():
    text = edit("  networks:\n", "  queue_defaults:\n    parameters:\n      EnableECRPlugn: false\n  networks:\n")
    assert problems(text) == [
        "queues.yaml:11: aws.queue_defaults.parameters.EnableECRPlugn: unknown Elastic CI Stack v6.71.1 parameter (did you mean 'EnableECRPlugin'?)"
    ]
