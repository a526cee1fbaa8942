"""Step keys: stable, derived from labels when not given, and never duplicated."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.keys import derive
from constructs_lib.queues.problems import LoadError

from .helpers import planned, run, steps_of


@pytest.mark.parametrize(
    "label, key",
    [
        ("Distributed Tests (2 GPUs)", "distributed-tests-2-gpus"),
        ("Kernels Test %N", "kernels-test-n"),
        (":docker: build image", "docker-build-image"),
        ("LoRA TP Test (Distributed)", "lora-tp-test-distributed"),
        ("!!!", "step"),
    ],
)
def test_derived_keys(label, key):
    assert derive(label) == key


def test_derived_keys_are_valid_buildkite_keys_of_bounded_length():
    assert len(derive("x" * 500)) <= 80


def test_every_step_gets_a_key_and_they_are_unique():
    result = run(
        "steps:\n- label: A b\n  command: x\n- label: Other\n  key: given\n  command: y\n  source_file_dependencies: [z/]\n"
    )
    keys = [s["key"] for s in steps_of(result.pipeline) if "key" in s]
    assert len(keys) == len(set(keys))
    assert planned(result)["A b"].key == "a-b" and planned(result)["Other"].key == "given"
    assert "block-given" in keys


def test_a_repeated_label_gets_a_suffix_by_order_with_a_warning():
    text = (
        "steps:\n- label: Core Test\n  command: a\n- label: Core Test\n  command: b\n- label: Core Test\n  command: c\n"
    )
    result = run(text)
    keys = [s["key"] for s in steps_of(result.pipeline) if s.get("key", "").startswith("core-test")]
    assert keys == ["core-test", "core-test-2", "core-test-3"]
    assert [str(w) for w in result.warnings] == [
        "test-pipeline.yaml:4: steps[1]: step 'Core Test' gets the key 'core-test-2': the step at test-pipeline.yaml:2 derives the same key",
        "test-pipeline.yaml:6: steps[2]: step 'Core Test' gets the key 'core-test-3': the step at test-pipeline.yaml:2 derives the same key",
    ]
    assert run(text).yaml == result.yaml  # stable


def test_a_derived_key_never_takes_a_given_one():
    result = run("steps:\n- label: Core Test\n  command: a\n- label: Other\n  key: core-test\n  command: b\n")
    assert planned(result)["Other"].key == "core-test" and planned(result)["Core Test"].key == "core-test-2"
    assert "a step's own key is 'core-test'" in str(result.warnings[0])


def test_two_given_keys_that_collide_are_an_error_naming_both():
    with pytest.raises(LoadError) as err:
        run("steps:\n- label: A\n  key: same\n  command: a\n- label: B\n  key: same\n  command: b\n")
    assert [str(p) for p in err.value.problems] == [
        "test-pipeline.yaml:5: steps[1]: step 'B' gets key 'same', as step 'A' at test-pipeline.yaml:2 does; give one of them a distinct key or label",
    ]


def test_a_key_colliding_with_another_steps_block_key():
    with pytest.raises(LoadError, match="gets key 'block-x'"):
        run("steps:\n- label: X\n  command: a\n- label: Y\n  key: block-x\n  command: b\n")


def test_labels_differing_only_in_punctuation_get_distinct_keys():
    result = run("steps:\n- label: A (b)\n  command: a\n- label: a-b\n  command: b\n")
    assert planned(result)["A (b)"].key == "a-b" and planned(result)["a-b"].key == "a-b-2"
