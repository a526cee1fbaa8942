"""Which jobs run now and which wait behind a block step. Pure.

A step runs when one of its `source_file_dependencies` is a string prefix of a
changed file (the format's documentation calls them prefixes). The
dependencies are indexed once by their directory part, so each changed file
costs one dictionary look-up per directory level instead of a scan of every
dependency of every step. Each decision keeps the file or rule behind it for
the explanation.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional, Sequence

from scripts.pipeline_generator.jobs import BUILD, Job

DOCS_PREFIXES = ("docs/",)
DOCS_SUFFIXES = (".md",)


class PrefixIndex:
    """Finds which of many string prefixes a path starts with."""

    def __init__(self, prefixes: Iterable[str]):
        # "vllm/core/sched" lives in the bucket of "vllm/core/": the part up to
        # its last "/", which every path it prefixes shares.
        self._buckets: dict[str, list[str]] = {}
        for prefix in dict.fromkeys(prefixes):
            self._buckets.setdefault(prefix[: prefix.rfind("/") + 1], []).append(prefix)
        # The prefixes of a directory hold for every file in it: found once per directory.
        self._directories: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())

    def matches(self, path: str) -> list[str]:
        cut = path.rfind("/") + 1
        directory = path[:cut]
        found = self._directories.get(directory)
        if found is None:
            found = self._directories[directory] = self._levels(directory)
        bucket = self._buckets.get(directory)
        if not bucket:
            return found
        return found + [p for p in bucket if len(p) > cut and path.startswith(p)]

    def _levels(self, directory: str) -> list[str]:
        """Prefixes of `directory`: its parent's, plus those that end inside its last name."""
        pending = []
        while directory not in self._directories:
            pending.append(directory)
            if not directory:
                break
            directory = directory[: directory.rfind("/", 0, len(directory) - 1) + 1]
        found = self._directories.get(directory, [])
        for child in reversed(pending):
            parent = child[: child.rfind("/", 0, len(child) - 1) + 1] if child else ""
            longer = [p for p in self._buckets.get(parent, ()) if len(p) > len(parent) and child.startswith(p)]
            if child and child in self._buckets.get(child, ()):
                longer.append(child)  # the directory itself, as a prefix ending in "/"
            found = self._directories[child] = found + longer
        return found


@dataclasses.dataclass(frozen=True)
class Changes:
    """What the changed files say about the whole build."""

    files: tuple[str, ...]
    run_all_file: Optional[tuple[str, str]]  # (changed file, run-all pattern)
    docs_only: bool


def changes(files: Iterable[str], run_all: Sequence[str], run_all_exclude: Sequence[str] = ()) -> Changes:
    unique = tuple(sorted(set(files)))
    include, exclude = PrefixIndex(run_all), PrefixIndex(run_all_exclude)
    trigger = None
    for path in unique if len(include) else ():
        hits = include.matches(path)
        if hits and not exclude.matches(path):
            trigger = (path, hits[0])
            break
    docs = bool(unique) and all(p.startswith(DOCS_PREFIXES) or p.endswith(DOCS_SUFFIXES) for p in unique)
    return Changes(unique, trigger, docs)


@dataclasses.dataclass(frozen=True)
class Request:
    """How this build was started."""

    run_all: bool = False
    nightly: bool = False
    default_branch: bool = False
    docs_skip: bool = True  # a docs-only change blocks the tests


@dataclasses.dataclass(frozen=True)
class Decision:
    runs: bool
    reason: str


def decide(jobs: Sequence[Job], change: Changes, request: Request) -> dict[str, Decision]:
    """A decision per job key."""
    run_all_reason = None
    if request.run_all:
        run_all_reason = "run-all requested"
    elif change.run_all_file:
        path, pattern = change.run_all_file
        run_all_reason = f"run-all: `{path}` matches run-all pattern `{pattern}`"
    docs_only = change.docs_only and request.docs_skip and not request.run_all
    matched = _matches(jobs, change.files)
    decisions: dict[str, Decision] = {}
    for job in jobs:
        decisions[job.key] = _decide(job, matched.get(job.key), run_all_reason, docs_only, request)
    _pull_dependencies(jobs, decisions)
    return decisions


def _decide(job: Job, match: Optional[tuple[str, str]], run_all: Optional[str], docs_only: bool, request: Request) -> Decision:
    step = job.step
    if request.nightly:
        return Decision(True, "nightly build")
    if docs_only:
        return Decision(False, "docs-only change: tests skipped")
    if job.role == BUILD:
        if step.optional:
            return Decision(False, "optional image build: runs nightly or when a running step needs it")
        return Decision(True, "image build")
    if step.nightly_only:
        return Decision(False, "nightly only")
    if step.autorun_on_main and request.default_branch:
        return Decision(True, "autorun_on_main on the default branch")
    if step.optional:
        return Decision(False, "optional: runs in nightly builds")
    if run_all:
        return Decision(True, run_all)
    if step.dependencies is None:
        if job.always_without_dependencies:
            return Decision(True, "no source_file_dependencies: always runs")
        return Decision(False, "no source_file_dependencies: runs with run-all or nightly")
    if match:
        path, prefix = match
        return Decision(True, f"`{path}` matches `{prefix}`")
    return Decision(False, "no changed file matches its source_file_dependencies")


def _matches(jobs: Sequence[Job], files: Sequence[str]) -> dict[str, tuple[str, str]]:
    """First (changed file, dependency) per job key, files in sorted order."""
    owners: dict[str, list[str]] = {}
    for job in jobs:
        for prefix in job.step.dependencies or ():
            owners.setdefault(prefix, []).append(job.key)
    index = PrefixIndex(owners)
    unmatched = set(owners)
    matched: dict[str, tuple[str, str]] = {}
    for path in files:
        if not unmatched:
            break  # every dependency has matched: later files change nothing
        for prefix in index.matches(path):
            if prefix in unmatched:
                unmatched.discard(prefix)
                for key in owners[prefix]:
                    matched.setdefault(key, (path, prefix))
    return matched


def _pull_dependencies(jobs: Sequence[Job], decisions: dict[str, Decision]) -> None:
    """A running job's depends_on must run too, or it would wait forever."""
    wanted = {job.key: job.depends_on for job in jobs}
    pending = [key for key, decision in decisions.items() if decision.runs]
    while pending:
        key = pending.pop()
        for needed in wanted.get(key, ()):
            if needed in decisions and not decisions[needed].runs:
                decisions[needed] = Decision(True, f"needed by `{key}`")
                pending.append(needed)
