"""Reads the steps of one loaded step file into TestSteps, collecting problems and warnings.

Each step is read into the one model of `step_model.TestStep` (problems
said as queues.yaml's are, by the shared translation; the model checks what
spans fields). The reader adds where the step stands (file, line, group,
its job file), the warnings (a field said twice, or to no effect) and the
mirrors, whose fields it reads with `MirrorFields`. Invalid values of known
fields are problems; unknown fields are warnings, so that a field added
upstream does not stop CI.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from pydantic import ValidationError

from constructs_lib.bootstrap import steps as fields
from constructs_lib.bootstrap.step_model import MirrorFields, TestStep, _Fields
from constructs_lib.bootstrap.steps import (
    IGNORED_MIRRORS,
    MIRROR_LINE_FAMILIES,
    NAME_PATTERN,
    FieldError,
    Mirror,
    Origin,
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
        known = TestStep.file_fields()
        for field in raw:
            if not isinstance(field, str) or field not in known:
                self.unknown(path, field)
        # `field:` with nothing after it is not given, as upstream reads it.
        given = {k: v for k, v in raw.items() if isinstance(k, str) and k in known and v is not None}
        labelled = "label" in given
        origin = Origin(self.doc.file, self.doc.line_of(path), path)
        context = {"origin": origin, "group": group, "extra_dependencies": extra_dependencies}
        try:
            step = TestStep.model_validate({**given, **context} if labelled else {**given, **context, "label": "-"})
        except ValidationError as err:
            self.problems.extend(translate(err, self.doc, TestStep, path))
            step = None
        if not labelled:
            self.problem(path, "a step needs a label")
            return None
        if step is None:
            return None
        self._warn_spanning(step, given, path)
        mirrors = self._mirrors(step, path)
        if mirrors is None:
            return None
        return step.model_copy(update={"mirrors": mirrors}) if mirrors else step

    def _warn_spanning(self, step: TestStep, given: dict[str, Any], path: tuple[Any, ...]) -> None:
        """What the step file says twice, or says to no effect: warnings, never a stop."""
        if step.device is not None and step.gpu is not None and step.gpu != step.device:
            self.warn(path + ("gpu",), f"ignored: device {step.device!r} decides where the step runs")
        if "num_devices" in given and "num_gpus" in given:
            try:
                other = fields.accelerators(given["num_gpus"])
            except FieldError:
                other = None
            if other != step.num_devices:
                self.warn(path + ("num_gpus",), f"ignored: num_devices ({step.num_devices}) decides")
        for index, entry in enumerate(step.source_file_dependencies or ()):
            why = never_matches(entry)
            if why:
                self.warn(
                    path + ("source_file_dependencies", index), f"{entry!r} can never match a changed file: {why}"
                )
        for field in ("agents", "agent_tags"):
            tags = getattr(step, field) or {}
            if "queue" in tags:
                self.warn(
                    path + (field, "queue"),
                    f"ignored: the generator routes the step to a queue of queues.yaml (not {tags['queue']!r})",
                )

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
        return TestStep.model_construct(origin=origin, label=label, key=key, group=group, broken=problems)

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

    def _mirrors(self, step: TestStep, path: tuple[Any, ...]) -> Optional[tuple[Mirror, ...]]:
        mirrors: dict[str, Mirror] = {}
        for line in step.mirror_hardwares or ():
            family = MIRROR_LINE_FAMILIES.get(line, line)
            if family not in mirrors:
                mirrors[family] = Mirror(family=family, hardware=line, count=step.amd_gpus if family == "amd" else None)
        block = step.mirror
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
            dind=values.get("dind"),
            tags={k: v for k, v in (values.get("agent_tags") or {}).items() if k != "queue"} or None,
            label=values.get("label"),
            no_plugin=values.get("no_plugin"),
            no_gpu=values.get("no_gpu"),
            concurrency=values.get("concurrency"),
            concurrency_group=values.get("concurrency_group"),
        )
