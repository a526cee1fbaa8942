"""Every field of a test step says, in one table, what a mirror, a failing step and a torch-nightly copy do with it."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.derived_steps import DERIVATIONS, RULES, derive
from constructs_lib.bootstrap.step_model import TestStep
from constructs_lib.bootstrap.steps import Mirror, Origin

STEP = TestStep.model_construct(
    origin=Origin("x.yaml", 3, ("steps", 0)),
    label="Test",
    key="test",
    commands=("pytest a.py",),
    working_dir="/w",
    soft_fail=False,
    parallelism=2,
    gpu="h100",
    num_devices=2,
    mirrors=(Mirror("amd"),),
    env={"A": "1"},
    agent_tags={"gpu": "2+"},
    notify=[{"slack": "#ci"}],
    torch_nightly=True,
)


def test_every_field_of_a_step_has_its_row():
    assert set(RULES) == set(TestStep.model_fields)
    assert all(len(rules) == len(DERIVATIONS) for rules in RULES.values())


def test_a_torch_nightly_copy_keeps_the_step_but_fails_softly_and_mirrors_nothing():
    copy = derive(STEP, "torch_nightly", label="Torch Nightly Test", soft_fail=True)
    assert (copy.label, copy.key, copy.soft_fail, copy.mirrors, copy.torch_nightly) == (
        "Torch Nightly Test",
        None,
        True,
        (),
        False,
    )
    assert (copy.commands, copy.working_dir, copy.gpu, copy.tags, copy.passthrough) == (
        STEP.commands,
        STEP.working_dir,
        STEP.gpu,
        STEP.tags,
        STEP.passthrough,
    )


def test_a_failing_step_runs_nothing_of_the_step():
    failing = derive(STEP, "failing", commands=("exit 1",), env={"CI_FAILURE_REASON": "why"})
    assert failing.commands == ("exit 1",) and failing.env == {"CI_FAILURE_REASON": "why"}
    assert (failing.working_dir, failing.parallelism, failing.tags, failing.passthrough, failing.mirrors) == (
        None,
        None,
        None,
        None,
        (),
    )
    assert failing.label == STEP.label and failing.key == STEP.key


def test_a_mirror_is_routed_by_its_own_hardware_without_the_parents_tags():
    given = dict(
        label="AMD: Test",
        commands=STEP.commands,
        working_dir=STEP.working_dir,
        source_file_dependencies=None,
        optional=False,
        soft_fail=False,
        timeout_in_minutes=None,
        device="mi300",
        num_devices=4,
        env={"A": "1"},
        dind=False,
        no_plugin=False,
        no_gpu=False,
        concurrency=None,
        concurrency_group=None,
    )
    mirror = derive(STEP, "mirror", **given)
    assert (mirror.gpu, mirror.no_gpu, mirror.tags, mirror.key, mirror.mirrors, mirror.torch_nightly) == (
        None,
        False,
        None,
        None,
        (),
        False,
    )
    assert mirror.device == "mi300" and mirror.count == 4 and mirror.parallelism == STEP.parallelism
    # Its own dind and no_plugin, never the parent's (vLLM: a no_plugin step's mirror runs through the wrapper).
    assert mirror.dind is False and mirror.no_plugin is False


def test_a_derivation_is_given_exactly_its_fields():
    with pytest.raises(TypeError, match="a torch_nightly step is given"):
        derive(STEP, "torch_nightly", label="x")
