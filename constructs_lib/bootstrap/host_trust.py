"""Which host steps an untrusted build may run: those the default branch defines, unchanged.

In an untrusted build (constructs_lib.queues.trust) every step file is the
PR's. A job in a container runs the PR's code where it can reach nothing;
a job on the agent's host (no_plugin, `:docker:` steps and image builds,
mirrors of host families, multi-node runners, wrappers, hardware tests)
must not. Such a job runs only when the step files at the merge base define
it the same way, under the same key, and the PR changes none of the scripts
its commands name, by path or by file name (after a `cd`), nor a file beside
a path they name (which a script may source or build from). A path the
commands do not name (a `pip install .` reading setup.py) is not seen: such
a step's definition should name what it runs.
Otherwise it waits behind a block step whose label says why: a maintainer
who has read the change unblocks it. Without the merge base's step files,
every host job waits. A step that writes what every build reads (the
profile's `KeyedStep.writes_shared`: vLLM's shared ROCm base image, pushed
from hosts the toolkit does not split by build kind) always waits: the
files it builds from are not all named in its commands. Pure.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

from constructs_lib.bootstrap.jobs import CONTAINER, MULTI_NODE, UNROUTABLE, Job
from constructs_lib.bootstrap.markdown import code_span
from constructs_lib.bootstrap.selection import Decision
from constructs_lib.bootstrap.steps import Origin

_NOWHERE = Origin("", 0, ())
# Words of a command that may name a file of the checkout: relative paths and
# file names (`./x` is `x`); an absolute path (/dev/null) or a URL is not one.
_WORD = re.compile(r"(?<![\w./+-])(?:\./)?([\w.+-]+(?:/[\w.+-]+)*)")


def runs_on_host(job: Job) -> bool:
    return job.runs_in != CONTAINER and job.role != UNROUTABLE


def definition(job: Job) -> tuple[Any, ...]:
    """What decides what a host job runs (not where its step stands in its file)."""
    return (job.step.model_copy(update={"origin": _NOWHERE}), job.runs_in, job.recipe, job.multi_node_script, job.image)


def _command_text(job: Job) -> str:
    step = job.step
    parts = [*step.flat_commands, *(c for node in step.node_commands or () for c in node)]
    if job.recipe is not None and job.recipe.wrapper:
        parts.append(job.recipe.wrapper)
    if job.runs_in == MULTI_NODE and job.multi_node_script:
        parts.append(job.multi_node_script)
    return "\n".join(parts)


def _changed_file_it_runs(words: frozenset[str], changed: Sequence[str]) -> Optional[str]:
    """Why a changed file may run in the job: it is named (by path, or by its name), or it lies beside a named path."""
    folders = {word.rsplit("/", 1)[0] + "/" for word in words if "/" in word}
    for path in changed:
        if any(path == word or path.endswith("/" + word) for word in words):
            return f"the PR changes {path}, which it runs"
        if any(path.startswith(folder) for folder in folders):
            return f"the PR changes {path}, beside a file it runs"
    return None


def why_held(job: Job, base: Optional[Mapping[str, Job]], changed: Sequence[str]) -> Optional[str]:
    """Why an untrusted build's host job must wait for a maintainer, or None when it may run."""
    if base is None:
        return "the default branch's step files could not be read"
    before = base.get(job.key)
    if before is None:
        return "the PR adds this host step"
    if definition(before) != definition(job):
        return "the PR changes this host step"
    return _changed_file_it_runs(frozenset(_WORD.findall(_command_text(job))), changed)


def hold(
    jobs: Sequence[Job], decisions: Mapping[str, Decision], base: Optional[Mapping[str, Job]], changed: Sequence[str]
) -> dict[str, Decision]:
    """The decisions of an untrusted build: host jobs it may not run, and jobs that write what every build
    reads, wait behind a block saying why."""
    out = dict(decisions)
    why: Optional[str]
    for job in jobs:
        if job.writes_shared and job.role != UNROUTABLE:
            where, why = "writes shared images", SHARED_WRITE
        elif runs_on_host(job):
            where, why = "runs on the host", why_held(job, base, changed)
        else:
            continue
        if why is not None:
            out[job.key] = Decision(
                False, f"untrusted build, {where}: {code_span(why)}", block=f"Run {job.label}? Untrusted build: {why}"
            )
    return out


SHARED_WRITE = "it writes what trusted builds read"
