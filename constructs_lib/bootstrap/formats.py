"""The two step-file formats found in the wild, read into one `Source`.

1. The single file `.buildkite/test-pipeline.yaml` (2024 to early 2026): a
   mapping with `steps`.
2. The current layout: `.buildkite/ci_config.yaml` names job directories and
   run-all patterns; each job file holds `group`, `depends_on` and `steps`.

Pure: callers hand in loaded documents (and, for the current layout, the job
files they found); `cli` does the reading.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from constructs_lib.bootstrap import steps as fields
from constructs_lib.bootstrap.profile import Images, Profile
from constructs_lib.bootstrap.step_model import TestStep
from constructs_lib.bootstrap.step_reader import StepReader
from constructs_lib.bootstrap.steps import FieldError
from constructs_lib.queues.problems import LoadError, Problem, kind_of
from constructs_lib.queues.strict_yaml import Document

SINGLE_FILE = "single-file"
CURRENT_LAYOUT = "current-layout"

# The reference bootstrap's run-all prefixes for the single-file format.


@dataclasses.dataclass(frozen=True)
class Source:
    """The test steps of a repository and the settings that came with them."""

    kind: str
    file: str
    steps: tuple[TestStep, ...]
    run_all: tuple[str, ...]
    run_all_exclude: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    # Which of the profile's checkout paths the tested checkout holds; None: the checkout is unknown.
    present: Optional[frozenset[str]] = None
    images: Images = dataclasses.field(kw_only=True)  # the profile's, or the ones the step files name
    profile: Profile = dataclasses.field(kw_only=True)  # the repository's conventions the generator follows


@dataclasses.dataclass(frozen=True)
class CiConfig:
    file: str
    job_dirs: tuple[tuple[str, int], ...]  # (directory, line in ci_config.yaml)
    run_all: tuple[str, ...]
    run_all_exclude: tuple[str, ...]
    images: Images
    warnings: tuple[Problem, ...]
    profile: Profile


def is_ci_config(doc: Document) -> bool:
    return isinstance(doc.data, dict) and "job_dirs" in doc.data


def single_file(doc: Document, warnings: list[Problem], profile: Profile) -> Source:
    """Steps of a single-file test pipeline; LoadError lists every problem."""
    reader = StepReader(doc)
    data = doc.data
    found: list[TestStep] = []
    if data is None:
        reader.warn((), "the file holds no steps (comments only)")
    elif not isinstance(data, dict):
        reader.problem((), f"the top level must be a mapping with steps, not {kind_of(data)}")
    else:
        for top in data:
            if top != "steps":
                reader.warn((str(top),), "unknown top-level key; ignored")
        raw_steps = data.get("steps")
        if raw_steps is None:
            reader.warn((), "the file holds no steps")
        elif not isinstance(raw_steps, list):
            reader.problem(("steps",), f"must be a list of steps, not {kind_of(raw_steps)}")
        else:
            for i, raw in enumerate(raw_steps):
                step = reader.read(raw, ("steps", i))
                if step is not None:
                    found.append(step)
    reader.finish()
    if reader.problems:
        raise LoadError(reader.problems)
    return Source(
        SINGLE_FILE,
        doc.file,
        tuple(found),
        profile.single_file_run_all,
        warnings=tuple(warnings + reader.warnings),
        images=profile.images,
        profile=profile,
    )


_CONFIG_LISTS = ("job_dirs", "run_all_patterns", "run_all_exclude_patterns")
_CONFIG_KNOWN = set(_CONFIG_LISTS) | {"name", "registries", "repositories"}


def ci_config(doc: Document, warnings: list[Problem], profile: Profile) -> CiConfig:
    """The settings of a current-layout ci_config.yaml."""
    problems: list[Problem] = []
    warns = list(warnings)
    data = doc.data
    lists: dict[str, tuple[str, ...]] = {}
    for field in _CONFIG_LISTS:
        value = data.get(field)
        if value is None:
            lists[field] = ()
            continue
        try:
            lists[field] = fields.prefixes(value)
        except FieldError as err:
            problems.append(doc.problem((field,), str(err)))
    if lists.get("job_dirs") == ():
        problems.append(doc.problem(("job_dirs",), "names no job directory"))
    repositories = data.get("repositories")
    if repositories is not None and not isinstance(repositories, dict):
        problems.append(doc.problem(("repositories",), "must be a mapping with main and premerge repository names"))
    if not isinstance(repositories, dict):
        repositories = {}
    image_settings: dict[str, str] = {}
    for path, value, reader, attribute in (
        (("registries",), data.get("registries"), fields.registry, "registry"),
        (("repositories", "main"), repositories.get("main"), fields.repository, "main"),
        (("repositories", "premerge"), repositories.get("premerge"), fields.repository, "premerge"),
    ):
        if value is None:
            continue
        try:
            image_settings[attribute] = reader(value)
        except FieldError as err:
            problems.append(doc.problem(path, str(err)))
    images = dataclasses.replace(profile.images, **image_settings)
    for field in data:
        if field not in _CONFIG_KNOWN:
            warns.append(doc.problem((str(field),), "unknown ci_config key; ignored"))
    if problems:
        raise LoadError(problems)
    dirs = tuple((d, doc.line_of(("job_dirs", i))) for i, d in enumerate(lists["job_dirs"]))
    return CiConfig(
        doc.file, dirs, lists["run_all_patterns"], lists["run_all_exclude_patterns"], images, tuple(warns), profile
    )


def job_file(doc: Document, relative_path: str) -> tuple[list[TestStep], StepReader]:
    """Steps of one job file; the file's own path counts as a dependency of each."""
    reader = StepReader(doc)
    data = doc.data
    found: list[TestStep] = []
    if data is None:
        reader.warn((), "the job file holds no steps")
        return found, reader
    if not isinstance(data, dict):
        reader.problem((), f"a job file must be a mapping with group and steps, not {kind_of(data)}")
        return found, reader
    group = data.get("group")
    if group is not None and not (isinstance(group, str) and group.strip()):
        reader.problem(("group",), f"must be a group name, not {kind_of(group)}")
        group = None
    group_depends: Optional[tuple[str, ...]] = None
    if data.get("depends_on") is not None:
        try:
            group_depends = fields.depends_on(data["depends_on"])
        except FieldError as err:
            reader.problem(("depends_on",), str(err))
    for top in data:
        if top not in ("group", "depends_on", "steps"):
            reader.warn((str(top),), "unknown job-file key; ignored")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        reader.problem(("steps",), f"must be a list of steps, not {kind_of(raw_steps)}")
        return found, reader
    for i, raw in enumerate(raw_steps):
        step = reader.read(raw, ("steps", i), group=group or None, extra_dependencies=(relative_path,))
        if step is None:
            continue
        if step.depends_on is None and group_depends:
            step = step.model_copy(update={"depends_on": group_depends})
        found.append(step)
    return found, reader


def current_layout(config: CiConfig, job_files: list[tuple[Document, str, list[Problem]]]) -> Source:
    """Steps of every job file (document, path relative to the repository root, load warnings)."""
    problems: list[Problem] = []
    warnings: list[Problem] = list(config.warnings)
    found: list[TestStep] = []
    for doc, relative, load_warnings in job_files:
        file_steps, reader = job_file(doc, relative)
        reader.finish()
        problems.extend(reader.problems)
        warnings.extend(load_warnings)
        warnings.extend(reader.warnings)
        found.extend(file_steps)
    if problems:
        raise LoadError(problems)
    return Source(
        CURRENT_LAYOUT,
        config.file,
        tuple(found),
        config.run_all,
        config.run_all_exclude,
        tuple(warnings),
        images=config.images,
        profile=config.profile,
    )
