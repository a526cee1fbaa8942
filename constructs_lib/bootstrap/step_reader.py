"""Reads the steps of one loaded step file into TestSteps, collecting problems and warnings.

Each step's fields go through the pydantic models of `step_model` (problems
said as queues.yaml's are, by the shared translation); what spans fields
(command or commands, per-node command lists, no_gpu against a device, the
mirrors) is checked here. Invalid values of known fields are problems;
unknown fields are warnings, so that a field added upstream does not stop CI.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from pydantic import ValidationError

from constructs_lib.bootstrap import steps as fields
from constructs_lib.bootstrap.step_model import MirrorFields, StepFields, _Fields
from constructs_lib.bootstrap.steps import (
    IGNORED_MIRRORS,
    MIRROR_LINE_FAMILIES,
    NAME_PATTERN,
    PASSTHROUGH,
    FieldError,
    Mirror,
    Origin,
    TestStep,
    never_matches,
)
from constructs_lib.queues.problems import Problem, kind_of
from constructs_lib.queues.strict_yaml import Document
from constructs_lib.queues.translate import translate


@functools.lru_cache(maxsize=None)
def _known(model: type[_Fields]) -> frozenset[str]:
    """The field names `model` reads, as the files write them."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())


class StepReader:
    """Reads the steps of one loaded file, collecting problems and warnings."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._unknown: dict[str, list[int]] = {}

    def problem(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def warn(self, path: tuple[Any, ...], message: str) -> None:
        self.warnings.append(self.doc.problem(path, message))

    def unknown(self, path: tuple[Any, ...], field: Any) -> None:
        # One warning per unknown field and file: a whole file may carry it on every step.
        self._unknown.setdefault(str(field), []).append(self.doc.line_of(path + (str(field),)))

    def finish(self) -> None:
        for field, lines in self._unknown.items():
            where = f"{len(lines)} steps, first" if len(lines) > 1 else "step"
            self.warnings.append(
                Problem(
                    self.doc.file, lines[0], "", f"unknown step field {field!r} ({where} at line {lines[0]}); ignored"
                )
            )
        self._unknown = {}

    def read(
        self, raw: Any, path: tuple[Any, ...], group: Optional[str] = None, extra_dependencies: tuple[str, ...] = ()
    ) -> Optional[TestStep]:
        """The step; a step whose problems are its own comes back broken (it fails alone), its problems not in `problems`."""
        before = len(self.problems)
        step = self._read(raw, path, group, extra_dependencies)
        if len(self.problems) == before:
            return step
        broken = tuple(self.problems[before:])
        del self.problems[before:]
        return self._broken(raw, path, group, broken)

    def _read(
        self, raw: Any, path: tuple[Any, ...], group: Optional[str], extra_dependencies: tuple[str, ...]
    ) -> Optional[TestStep]:
        if not isinstance(raw, dict):
            self.problem(path, f"a step must be a mapping, not {kind_of(raw)}")
            return None
        values, ok = self._fields(raw, StepFields, path, self.unknown)
        if "label" not in raw or raw["label"] is None:
            self.problem(path, "a step needs a label")
            return None
        return self._build(values, path, group, extra_dependencies) if ok else None

    def _broken(self, raw: Any, path: tuple[Any, ...], group: Optional[str], problems: tuple[Problem, ...]) -> TestStep:
        """A stand-in for a step the bootstrap cannot honour: its label and key where they are readable."""
        origin = Origin(self.doc.file, self.doc.line_of(path), path)
        given = raw if isinstance(raw, dict) else {}
        label = given.get("label")
        if not isinstance(label, str) or not label.strip():
            label = f"step at {self.doc.file}:{origin.line}"
        key = None
        try:
            key = fields.key(given["key"]) if given.get("key") is not None else None
        except FieldError:
            pass
        return TestStep(origin, label, key=key, group=group, broken=problems)

    def _fields(
        self,
        raw: dict[str, Any],
        model: type[_Fields],
        path: tuple[Any, ...],
        unknown: Callable[[tuple[Any, ...], Any], None],
    ) -> tuple[dict[str, Any], bool]:
        """The known fields read into normal form; (values, whether all were valid)."""
        known = _known(model)
        for field in raw:
            if not isinstance(field, str) or field not in known:
                unknown(path, field)
        try:
            fields = model.model_validate({k: v for k, v in raw.items() if isinstance(k, str) and k in known})
        except ValidationError as err:
            self.problems.extend(translate(err, self.doc, model, path))
            return {}, False
        return fields.given(), True

    def _build(
        self, values: dict[str, Any], path: tuple[Any, ...], group: Optional[str], extra: tuple[str, ...]
    ) -> Optional[TestStep]:
        origin = Origin(self.doc.file, self.doc.line_of(path), path)
        ok = True
        if "command" in values and "commands" in values:
            self.problem(path + ("command",), "give either command or commands, not both")
            ok = False
        given = values.get("commands", values.get("command"))
        if given is None:
            self.problem(path, "a step needs command or commands")
            return None
        field = "commands" if "commands" in values else "command"
        nodes = values.get("num_nodes", 1)
        no_plugin = values.get("no_plugin", False)
        nested = bool(given) and isinstance(given[0], tuple)
        node_commands = None
        if nested:
            if nodes < 2 or no_plugin:
                self.problem(path + (field,), "lists of command lists are for num_nodes of 2 or more")
                ok = False
            elif len(given) != nodes:
                self.problem(
                    path + (field,), f"num_nodes is {nodes}: give one command list per node (got {len(given)})"
                )
                ok = False
            node_commands = given
            flat = tuple(command for node in given for command in node)
        else:
            flat = given
            # One command list for several nodes: the commands start the nodes themselves (a multi-node runner
            # script), so they run on the host as given, as vLLM's generator runs them (no_plugin).
            no_plugin = no_plugin or nodes >= 2
        if values.get("no_gpu") and ("gpu" in values or "device" in values):
            other = "gpu" if "gpu" in values else "device"
            self.problem(path + ("no_gpu",), f"no_gpu contradicts {other}: {values[other]}")
            ok = False
        if "device" in values and "gpu" in values and values["gpu"] != values["device"]:
            self.warn(path + ("gpu",), f"ignored: device {values['device']!r} decides where the step runs")
        amount = values.get("num_devices", values.get("num_gpus"))
        if "num_devices" in values and "num_gpus" in values and values["num_devices"] != values["num_gpus"]:
            self.warn(path + ("num_gpus",), f"ignored: num_devices ({values['num_devices']}) decides")
        dependencies = values.get("source_file_dependencies")
        for index, entry in enumerate(dependencies or ()):
            why = never_matches(entry)
            if why:
                self.warn(
                    path + ("source_file_dependencies", index), f"{entry!r} can never match a changed file: {why}"
                )
        if extra:
            dependencies = (dependencies or ()) + extra
        mirrors = self._mirrors(values, path)
        if not ok or mirrors is None:
            return None
        return TestStep(
            origin=origin,
            label=values["label"],
            key=values.get("key"),
            commands=flat,
            node_commands=node_commands,
            working_dir=values.get("working_dir"),
            dependencies=dependencies,
            optional=values.get("optional", False),
            nightly_only=values.get("nightly", False),
            autorun_on_main=values.get("autorun_on_main", False),
            fast_check_only=values.get("fast_check_only", False),
            soft_fail=values.get("soft_fail", False),
            parallelism=values.get("parallelism"),
            timeout=values.get("timeout_in_minutes"),
            gpu=None if "device" in values else values.get("gpu"),
            cpu_only=values.get("no_gpu", False),
            device=values.get("device"),
            count=amount,
            nodes=nodes,
            mirrors=mirrors,
            env=values.get("env"),
            retry=values.get("retry"),
            depends_on=values.get("depends_on"),
            no_plugin=no_plugin,
            group=group,
            torch_nightly=bool(values.get("torch_nightly")) or self._has_torch_nightly_mirror(values),
            agent_tags=self._agent_tags(values, path),
            passthrough={f: values[f] for f in PASSTHROUGH if f in values} or None,
        )

    def _agent_tags(self, values: dict[str, Any], path: tuple[Any, ...]) -> Optional[dict[str, Any]]:
        """`agents:` (Buildkite's name) and `agent_tags:` (the current layout's), minus the queue the generator chooses."""
        tags: dict[str, Any] = {}
        for field in ("agents", "agent_tags"):
            given = dict(values.get(field) or {})
            if "queue" in given:
                self.warn(
                    path + (field, "queue"),
                    f"ignored: the generator routes the step to a queue of queues.yaml (not {given['queue']!r})",
                )
                del given["queue"]
            tags.update(given)
        return tags or None

    @staticmethod
    def _has_torch_nightly_mirror(values: dict[str, Any]) -> bool:
        block = values.get("mirror")
        return isinstance(block, dict) and "torch_nightly" in block

    def _mirrors(self, values: dict[str, Any], path: tuple[Any, ...]) -> Optional[tuple[Mirror, ...]]:
        mirrors: dict[str, Mirror] = {}
        for line in values.get("mirror_hardwares", ()):
            family = MIRROR_LINE_FAMILIES.get(line, line)
            if family not in mirrors:
                mirrors[family] = Mirror(
                    family=family, hardware=line, count=values.get("amd_gpus") if family == "amd" else None
                )
        block = values.get("mirror")
        if block is None:
            return tuple(mirrors.values())
        if not isinstance(block, dict):
            self.problem(path + ("mirror",), f"must be a mapping of hardware names to settings, not {kind_of(block)}")
            return None
        ok = True
        for family, settings in block.items():
            where = path + ("mirror", str(family))
            if family in IGNORED_MIRRORS:
                continue
            if not isinstance(family, str) or not NAME_PATTERN.match(family):
                self.problem(where, f"{family!r} is not a valid mirror name")
                ok = False
                continue
            mirror = self._mirror(family, settings, where)
            if mirror is None:
                ok = False
            else:
                mirrors[family] = mirror
        return tuple(mirrors.values()) if ok else None

    def _mirror(self, family: str, settings: Any, where: tuple[Any, ...]) -> Optional[Mirror]:
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            self.problem(where, f"must be a mapping, not {kind_of(settings)}")
            return None
        values, ok = self._fields(
            settings,
            MirrorFields,
            where,
            lambda at, field: self.warn(at + (str(field),), "unknown mirror field; ignored"),
        )
        given = values.get("commands", values.get("command"))
        if given is not None and given and isinstance(given[0], tuple):
            self.problem(where + ("commands",), "a mirror takes a list of commands")
            ok = False
        if not ok:
            return None
        return Mirror(
            family=family,
            hardware=None if "device" in values else family,
            device=values.get("device"),
            count=values.get("num_devices", values.get("num_gpus")),
            commands=given,
            working_dir=values.get("working_dir"),
            depends_on=values.get("depends_on"),
            soft_fail=values.get("soft_fail"),
            timeout=values.get("timeout_in_minutes"),
            dependencies=values.get("source_file_dependencies"),
            optional=values.get("optional"),
            env=values.get("env"),
        )
