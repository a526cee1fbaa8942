"""The Markdown summary of a generated pipeline: what runs, what waits, and why.

Posted with `buildkite-agent annotate` in CI and printed with `--explain`
locally. Pure.
"""

from __future__ import annotations

from typing import Sequence

from constructs_lib.bootstrap.markdown import cell, code_span
from constructs_lib.bootstrap.plan import Plan
from constructs_lib.bootstrap.selection import Changes, Request
from constructs_lib.bootstrap.step_model import TestStep
from constructs_lib.queues.problems import Problem


def markdown(
    plan: Plan,
    change: Changes,
    request: Request,
    warnings: Sequence[Problem] = (),
    excluded: Sequence[TestStep] = (),
    errors: Sequence[Problem] = (),
) -> str:
    running = [job for job in plan.jobs if plan.runs(job)]
    blocked = [job for job in plan.jobs if not plan.runs(job)]
    out = [f"### Pipeline: {len(running)} of {len(plan.jobs)} jobs run, {len(blocked)} wait to be unblocked", ""]
    out.append(_build_line(change, request))
    if errors:
        out += ["", "#### Errors: steps no declared queue can run (uploaded as failing steps)", ""]
        out += [f"- {cell(str(e))}" for e in errors]
    if request.skips_docs(change):
        out += [
            "",
            "**Docs-only change: the tests are skipped.** Unblock a step (and the image build it needs) to run it anyway.",
        ]
    for title, group in (("Runs", running), ("Blocked (unblock to run)", blocked)):
        if not group:
            continue
        out += ["", f"#### {title}", "", "| Step | Queue | Why |", "| --- | --- | --- |"]
        for job in group:
            out.append(f"| {cell(job.label)} | `{plan.queue(job)}` | {_reason(plan.decisions[job.key].reason)} |")
    out += ["", "#### Jobs per queue", "", "| Queue | Run | Blocked |", "| --- | ---: | ---: |"]
    for queue, (run, wait) in _per_queue(plan).items():
        out.append(f"| `{queue}` | {run} | {wait} |")
    if excluded:
        labels = ", ".join(cell(step.label) for step in excluded)
        out += ["", f"Not part of this pipeline (fast_check_only): {labels}"]
    if warnings:
        out += ["", "#### Warnings", ""]
        out += [f"- {cell(str(w))}" for w in warnings]
    return "\n".join(out) + "\n"


def _build_line(change: Changes, request: Request) -> str:
    parts = [f"{len(change.files)} changed file{'s' if len(change.files) != 1 else ''}"]
    if request.nightly:
        parts.append("nightly build")
    if request.run_all:
        parts.append("run-all requested")
    elif change.run_all_file:
        parts.append(f"run-all because {code_span(change.run_all_file[0])} changed")
    if request.default_branch:
        parts.append("default branch")
    return "; ".join(parts) + "."


def _per_queue(plan: Plan) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = {}
    for job in plan.jobs:
        entry = counts.setdefault(plan.queue(job), [0, 0])
        entry[0 if plan.runs(job) else 1] += 1
    return {queue: (run, wait) for queue, (run, wait) in sorted(counts.items())}


def _reason(text: str) -> str:
    """The generator's own Markdown (code spans around paths), kept within its table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
