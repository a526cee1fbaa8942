"""How the steps the generator derives from a test step treat each of its fields, in one table.

A mirror (the step on other hardware), a failing step (a step that cannot run
as written, or that no queue can run) and a torch-nightly copy are each the
step with some fields given anew, some reset to their default and the rest
kept. Every field of TestStep has its row here, so a new field is a decision
for each derivation, never an omission (a test fails until the row exists).
Pure.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from constructs_lib.bootstrap.steps import TestStep

Rule = Literal["keep", "reset", "given"]
Derivation = Literal["mirror", "failing", "torch_nightly"]
DERIVATIONS: tuple[Derivation, ...] = ("mirror", "failing", "torch_nightly")

# field: (mirror, failing, torch_nightly)
RULES: dict[str, tuple[Rule, Rule, Rule]] = {
    "origin": ("keep", "keep", "keep"),
    "label": ("given", "keep", "given"),  # a mirror and a copy say what they are
    "key": ("reset", "keep", "reset"),  # their jobs get keys of their own
    "commands": ("given", "given", "keep"),  # a mirror's own or its parent's; a failing step prints why
    "node_commands": ("reset", "reset", "keep"),  # a mirror runs on one host; a failing step runs nothing
    "working_dir": ("given", "reset", "keep"),
    "dependencies": ("given", "keep", "keep"),  # a mirror adds its own
    "optional": ("given", "keep", "keep"),
    "nightly_only": ("keep", "keep", "keep"),
    "autorun_on_main": ("keep", "keep", "keep"),
    "fast_check_only": ("keep", "keep", "keep"),
    "soft_fail": ("given", "reset", "given"),  # a copy against torch nightly never fails the build
    "parallelism": ("keep", "reset", "keep"),
    "timeout": ("given", "keep", "keep"),  # a mirror's own, else its queue's, else its parent's (inherited_timeout)
    "gpu": ("reset", "keep", "keep"),  # a mirror is routed by its device or hardware line
    "cpu_only": ("reset", "keep", "keep"),
    "device": ("given", "keep", "keep"),
    "count": ("given", "keep", "keep"),  # a mirror's, else every GPU of every node of its parent
    "nodes": ("reset", "reset", "keep"),
    "mirrors": ("reset", "reset", "reset"),  # derived steps are mirrored by no one
    "env": ("given", "given", "keep"),  # a mirror's over its parent's; a failing step's reason
    "retry": ("keep", "keep", "keep"),
    "depends_on": ("keep", "keep", "keep"),  # the job's depends_on is decided with the job
    "no_plugin": ("keep", "keep", "keep"),
    "group": ("keep", "keep", "keep"),
    "torch_nightly": ("reset", "keep", "reset"),
    "agent_tags": ("reset", "reset", "keep"),  # the parent's tags are for its own hardware
    "passthrough": ("keep", "reset", "keep"),
    "broken": ("keep", "keep", "keep"),
}

_DEFAULTS: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(TestStep)}


def derive(step: TestStep, derivation: Derivation, **given: Any) -> TestStep:
    """`step` as `derivation` makes it: the fields its rules give, from `given`; those they reset, at their default."""
    column = DERIVATIONS.index(derivation)
    wanted = {field for field, rules in RULES.items() if rules[column] == "given"}
    if set(given) != wanted:
        raise TypeError(f"a {derivation} step is given {sorted(wanted)}, not {sorted(given)}")
    updates: dict[str, Any] = {field: _DEFAULTS[field] for field, rules in RULES.items() if rules[column] == "reset"}
    updates.update(given)
    return dataclasses.replace(step, **updates)
