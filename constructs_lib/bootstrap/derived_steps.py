"""How the steps the generator derives from a test step treat each of its fields, in one table.

A mirror (the step on other hardware), a failing step (a step that cannot run
as written, or that no queue can run) and a torch-nightly copy are each the
step with some fields given anew, some reset to their default and the rest
kept. Every field of TestStep has its row here, so a new field is a decision
for each derivation, never an omission (a test fails until the row exists).
Pure.
"""

from __future__ import annotations

from typing import Any, Literal

from constructs_lib.bootstrap.step_model import TestStep

Rule = Literal["keep", "reset", "given"]
Derivation = Literal["mirror", "failing", "torch_nightly"]
DERIVATIONS: tuple[Derivation, ...] = ("mirror", "failing", "torch_nightly")

# field: (mirror, failing, torch_nightly)
RULES: dict[str, tuple[Rule, Rule, Rule]] = {
    "origin": ("keep", "keep", "keep"),
    "group": ("keep", "keep", "keep"),
    "extra_dependencies": ("reset", "keep", "keep"),  # a mirror's source_file_dependencies hold them already
    "mirrors": ("reset", "reset", "reset"),  # derived steps are mirrored by no one
    "broken": ("keep", "keep", "keep"),
    "label": ("given", "keep", "given"),  # a mirror and a copy say what they are
    "key": ("reset", "keep", "reset"),  # their jobs get keys of their own
    "commands": ("given", "given", "keep"),  # a mirror's own or its parent's, on one host; a failing step prints why
    "working_dir": ("given", "reset", "keep"),
    "depends_on": ("keep", "keep", "keep"),  # the job's depends_on is decided with the job
    "soft_fail": ("given", "reset", "given"),  # a copy against torch nightly never fails the build
    "timeout_in_minutes": ("given", "keep", "keep"),  # a mirror's own, else its queue's, else its parent's
    "source_file_dependencies": ("given", "keep", "keep"),  # a mirror adds its own to its parent's
    "optional": ("given", "keep", "keep"),
    "env": ("given", "given", "keep"),  # a mirror's over its parent's; a failing step's reason
    "num_devices": ("given", "keep", "keep"),  # a mirror's, else every GPU of every node of its parent
    "device": ("given", "keep", "keep"),
    "parallelism": ("keep", "reset", "keep"),
    "num_nodes": ("reset", "reset", "keep"),
    "gpu": ("reset", "keep", "keep"),  # a mirror is routed by its device or hardware line
    "no_gpu": ("given", "keep", "keep"),  # a mirror's own, else its parent's
    "mirror_hardwares": ("reset", "reset", "reset"),
    "mirror": ("reset", "reset", "reset"),
    "fast_check": ("keep", "keep", "keep"),
    "fast_check_only": ("keep", "keep", "keep"),
    "torch_nightly": ("reset", "keep", "reset"),
    "autorun_on_main": ("keep", "keep", "keep"),
    "nightly": ("keep", "keep", "keep"),
    "amd_gpus": ("reset", "reset", "reset"),
    "retry": ("keep", "keep", "keep"),
    "no_plugin": ("given", "keep", "keep"),  # a mirror's own (`mirror.amd.no_plugin`), never its parent's
    "agents": ("reset", "reset", "keep"),  # the parent's tags are for its own hardware
    "agent_tags": ("reset", "reset", "keep"),
    "dind": ("given", "keep", "keep"),  # a mirror's own (`mirror.amd.dind`), never its parent's
    "mount_buildkite_agent": ("reset", "keep", "keep"),  # a mirror runs its family's wrapper, not the plugin
    # Buildkite's fields written as given: a failing step keeps none of them.
    "concurrency": ("given", "reset", "keep"),  # a mirror's own, else its parent's
    "concurrency_group": ("given", "reset", "keep"),
    "artifact_paths": ("keep", "reset", "keep"),
    "notify": ("keep", "reset", "keep"),
    "cancel_on_build_failing": ("keep", "reset", "keep"),
    "allow_dependency_failure": ("keep", "reset", "keep"),
    "if_": ("keep", "reset", "keep"),
    "skip": ("keep", "reset", "keep"),
}

_DEFAULTS: dict[str, Any] = {name: field.default for name, field in TestStep.model_fields.items()}


def derive(step: TestStep, derivation: Derivation, **given: Any) -> TestStep:
    """`step` as `derivation` makes it: the fields its rules give, from `given`; those they reset, at their default."""
    column = DERIVATIONS.index(derivation)
    wanted = {field for field, rules in RULES.items() if rules[column] == "given"}
    if set(given) != wanted:
        raise TypeError(f"a {derivation} step is given {sorted(wanted)}, not {sorted(given)}")
    updates: dict[str, Any] = {field: _DEFAULTS[field] for field, rules in RULES.items() if rules[column] == "reset"}
    updates.update(given)
    return step.model_copy(update=updates)
