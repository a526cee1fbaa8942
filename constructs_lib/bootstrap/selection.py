"""Which jobs run now and which wait behind a block step. Pure.

A step runs when a changed file counts for it: the file starts with one of its
`source_file_dependencies` and with none of its `!`-prefixed ones (an
exclusion carves a subtree with CI of its own out of a broad include, as in
vLLM's generator: `vllm/` with `!vllm/distributed/kv_transfer/`). The changed
files are sorted once; the files a prefix starts then stand in one run of that
order, found by binary search. Selection costs the sort plus a search per
distinct dependency, instead of comparing every dependency of every step with
every changed file. Each decision keeps the file or rule behind it for the
explanation.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from typing import Iterable, Optional, Sequence

from constructs_lib.bootstrap.jobs import BUILD, UNROUTABLE, Job
from constructs_lib.bootstrap.markdown import code_span

DOCS_PREFIXES = ("docs/",)
DOCS_SUFFIXES = (".md",)


class SortedPaths:
    """Changed files, sorted: the paths one prefix starts are one contiguous run."""

    def __init__(self, paths: Iterable[str]):
        self.paths = tuple(sorted(set(paths)))

    def first(self, prefix: str, skip: Sequence[str] = ()) -> Optional[str]:
        """The first path that starts with `prefix` and with none of `skip`."""
        paths = self.paths
        i = bisect.bisect_left(paths, prefix)
        while i < len(paths) and paths[i].startswith(prefix):
            excluded = next((s for s in skip if s and paths[i].startswith(s)), None)
            if excluded is None:
                return paths[i]
            # Jump over every path the exclusion covers, not one at a time.
            i = max(i + 1, bisect.bisect_left(paths, _successor(excluded), i))
        return None


def _successor(prefix: str) -> str:
    """The least string above every string that starts with `prefix`."""
    last = ord(prefix[-1])
    return prefix[:-1] + chr(last + 1) if last < 0x10FFFF else prefix + "\U0010ffff"


@dataclasses.dataclass(frozen=True)
class Changes:
    """What the changed files say about the whole build."""

    paths: SortedPaths
    run_all_file: Optional[tuple[str, str]]  # (changed file, run-all pattern)
    docs_only: bool

    @property
    def files(self) -> tuple[str, ...]:
        return self.paths.paths


def changes(files: Iterable[str], run_all: Sequence[str], run_all_exclude: Sequence[str] = ()) -> Changes:
    paths = SortedPaths(files)
    hits = [(found, pattern) for pattern in run_all if (found := paths.first(pattern, run_all_exclude)) is not None]
    docs = bool(paths.paths) and all(p.startswith(DOCS_PREFIXES) or p.endswith(DOCS_SUFFIXES) for p in paths.paths)
    return Changes(paths, min(hits) if hits else None, docs)


@dataclasses.dataclass(frozen=True)
class Request:
    """How this build was started."""

    run_all: bool = False
    nightly: bool = False
    default_branch: bool = False
    docs_skip: bool = True  # a docs-only change blocks the tests it does not concern
    noauto: bool = False  # NOAUTO=1: every job waits to be unblocked
    only_keys: Optional[frozenset[str]] = None  # VLLM_CI_ONLY_STEP_KEYS: these run (with what they need), the rest wait

    def skips_docs(self, change: "Changes") -> bool:
        """Whether this build blocks the tests because only documentation changed."""
        return change.docs_only and self.docs_skip and not self.run_all and not self.nightly


@dataclasses.dataclass(frozen=True)
class Decision:
    runs: bool
    reason: str
    block: Optional[str] = None  # the block step's label, when not `Run <label>`


_DOCS_FOLDER = re.compile(r"(^|[_-])docs$")


def builds_docs(working_dir: Optional[str]) -> bool:
    """Whether a working directory lies in a documentation folder (`docs`, `test_docs`, ...)."""
    return working_dir is not None and any(_DOCS_FOLDER.search(part) for part in working_dir.split("/"))


def decide(jobs: Sequence[Job], change: Changes, request: Request) -> dict[str, Decision]:
    """A decision per job key."""
    run_all_reason = None
    if request.run_all:
        run_all_reason = "run-all requested"
    elif change.run_all_file:
        path, pattern = change.run_all_file
        run_all_reason = f"run-all: {code_span(path)} matches run-all pattern {code_span(pattern)}"
    docs_only = request.skips_docs(change)
    matched = _matches(jobs, change.paths)
    decisions: dict[str, Decision] = {}
    for job in jobs:
        decisions[job.key] = _decide(job, matched.get(job.key), run_all_reason, docs_only, request, change.paths)
    _pull_dependencies(jobs, decisions)
    return decisions


def _decide(
    job: Job,
    match: Optional[tuple[str, str]],
    run_all: Optional[str],
    docs_only: bool,
    request: Request,
    paths: SortedPaths,
) -> Decision:
    step = job.step
    if job.role == UNROUTABLE:
        return Decision(True, "no declared queue can run it: it fails, saying why")
    if request.noauto:
        return Decision(False, "NOAUTO: every step waits to be unblocked")
    if request.only_keys is not None:
        if job.key in request.only_keys:
            return Decision(True, "named in VLLM_CI_ONLY_STEP_KEYS")
        return Decision(False, "not named in VLLM_CI_ONLY_STEP_KEYS")
    if job.always_runs and not docs_only:
        return Decision(True, "runs in every build (the profile's keyed_steps)")
    forced = next((found for p in job.runs_when_changed if (found := paths.first(p)) is not None), None)
    if forced is not None:
        return Decision(True, f"{code_span(forced)} changes what its family runs on")
    if request.nightly:
        return Decision(True, "nightly build")
    if job.role == BUILD:
        if step.optional:
            return Decision(False, "optional image build: runs nightly or when a running step needs it")
        if docs_only:
            return Decision(False, "docs-only change: runs when a running step needs it")
        return Decision(True, "image build")
    if step.autorun_on_main and request.default_branch:
        return Decision(True, "autorun_on_main on the default branch")
    if step.optional:
        return Decision(False, "optional: runs in nightly builds")
    if run_all:
        return Decision(True, run_all)  # nightly-only steps too: run-all runs every step that is not optional
    if step.nightly:
        return Decision(False, "nightly only")
    if docs_only:
        # The steps the docs change concerns still run: those whose own dependencies
        # match it, and one without dependencies that works in a docs folder (the docs build).
        if match:
            return _matched(match)
        if step.dependencies is None and builds_docs(step.working_dir):
            return Decision(True, "docs-only change: the step works in the docs folder")
        return Decision(False, "docs-only change: tests skipped")
    if step.dependencies is None:
        if job.always_without_dependencies:
            return Decision(True, "no source_file_dependencies: always runs")
        return Decision(False, "no source_file_dependencies: runs with run-all or nightly")
    if match:
        return _matched(match)
    return Decision(False, "no changed file matches its source_file_dependencies")


def _matched(match: tuple[str, str]) -> Decision:
    path, prefix = match
    return Decision(True, f"{code_span(path)} matches {code_span(prefix)}")


def split_dependencies(dependencies: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(includes, exclusions) of a step's source_file_dependencies: `!x/` excludes `x/`."""
    includes = tuple(d for d in dependencies if not d.startswith("!"))
    exclusions = tuple(d[1:] for d in dependencies if d.startswith("!") and d[1:])
    return includes, exclusions


def _matches(jobs: Sequence[Job], paths: SortedPaths) -> dict[str, tuple[str, str]]:
    """Per job key, the first changed file that counts for it, and the dependency it matches."""
    first: dict[tuple[str, tuple[str, ...]], Optional[str]] = {}
    matched: dict[str, tuple[str, str]] = {}
    for job in jobs:
        best = None
        includes, exclusions = split_dependencies(job.step.dependencies or ())
        for prefix in includes:
            if (prefix, exclusions) not in first:
                first[prefix, exclusions] = paths.first(prefix, exclusions)
            path = first[prefix, exclusions]
            if path is not None and (best is None or path < best[0]):
                best = (path, prefix)
        if best is not None:
            matched[job.key] = best
    return matched


def _pull_dependencies(jobs: Sequence[Job], decisions: dict[str, Decision]) -> None:
    """A running job's depends_on must run too, or it would wait forever."""
    wanted = {job.key: job.depends_on for job in jobs}
    pending = [key for key, decision in decisions.items() if decision.runs]
    while pending:
        key = pending.pop()
        for needed in wanted.get(key, ()):
            if needed in decisions and not decisions[needed].runs:
                decisions[needed] = Decision(True, f"needed by {code_span(key)}")
                pending.append(needed)
