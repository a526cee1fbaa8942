"""Variables a step's commands read that nothing sets: each said in a warning, never left silent.

A command's `$NAME` is set when the agent sets it (Buildkite's `BUILDKITE*`
variables), the generator does (the image variables, the caches of an image
build), the step's own `env`, the runner of its queue (`environment`,
`pass_environment`, `hf_home`), the shell itself, or the commands assign it
(`NAME=`, `export NAME`, `for NAME in`, `read NAME`); a read with a default
(`${NAME:-0}`) says itself what unset means. Anything else is empty
when the job runs: a tree written for an older generator (vLLM's February
2026 tree reads `$VLLM_USE_PRECOMPILED`, `$CACHE_FROM`, `$CACHE_TO`) is
told so. Pure.
"""

from __future__ import annotations

import re
from typing import Iterable

from constructs_lib.bootstrap import interpolation
from constructs_lib.bootstrap.jobs import UNROUTABLE, Image, Job
from constructs_lib.bootstrap.render import image_variables
from constructs_lib.queues.model import HF_TOKEN, QueuesFile
from constructs_lib.queues.problems import Problem

# Set by the shell, the system or the container runtime.
SHELL = frozenset(
    {
        "HOME",
        "PATH",
        "PWD",
        "OLDPWD",
        "USER",
        "SHELL",
        "HOSTNAME",
        "RANDOM",
        "UID",
        "EUID",
        "PPID",
        "OSTYPE",
        "LINENO",
        "SECONDS",
        "IFS",
        "TMPDIR",
        "TERM",
        "LANG",
        "BASHPID",
        "BASH_SOURCE",
        "BASH_VERSION",
        "FUNCNAME",
        "PIPESTATUS",
        "REPLY",
        "OPTARG",
        "OPTIND",
        "CUDA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES",
        "HF_HOME",
        HF_TOKEN,
    }
)


def _assigned(name: str, text: str) -> bool:
    """Whether the commands set `name`: an assignment where a command starts (not `--build-arg NAME=$NAME`), export, for, read."""
    starts = r"(^|[;&|(]\s*|\b(then|else|do)\s+|\b(export|local|declare|readonly)\s+(-\w+\s+)*)"
    pattern = rf"({starts}{name}=|\bexport\s+{name}\b|\bfor\s+{name}\s+in\b|\bread\b[^;\n]*\b{name}\b)"
    return re.search(pattern, text, re.MULTILINE) is not None


def warnings(jobs: Iterable[Job], model: QueuesFile, queues: dict[str, str], image: Image) -> tuple[Problem, ...]:
    """One warning per step file and variable that nothing sets, at the first step that reads it."""
    generator = set(image_variables(image))  # render gives these to every job that names them
    caches = set(image.caches.env())  # and these to image builds
    first: dict[tuple[str, str], Problem] = {}
    counts: dict[tuple[str, str], int] = {}
    for job in jobs:
        step = job.step
        if step.broken or not step.flat_commands or not step.origin.path:
            continue  # broken, or the toolkit's own (image builds, hardware tests: no place in a step file)
        text = "\n".join(step.flat_commands)
        runner = model.runner_of(queues[job.key]) if job.key in queues else None
        given = (
            set(step.env or {})
            | set((runner.environment if runner else {}))
            | set((runner.pass_environment if runner else []))
        )
        given |= generator | (caches if job.needs.builder and job.role != UNROUTABLE else set())
        shell = interpolation.shell_text(text)
        # Only plain reads: `${NAME:-default}` and its kin say themselves what an unset NAME means.
        plain = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", shell)) | set(
            re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", shell)
        )
        for name in sorted(interpolation.references(text) & plain):
            if name.startswith("BUILDKITE") or name in SHELL or name in given:
                continue
            if name.isdigit() or _assigned(name, text):
                continue
            where = (step.origin.file, name)
            counts[where] = counts.get(where, 0) + 1
            first.setdefault(
                where,
                step.origin.problem(
                    f"the commands read ${name}, which neither the step, its runner, the generator nor Buildkite sets: "
                    "it is empty when the job runs (set it in the step's env)"
                ),
            )
    out = []
    for where, problem in first.items():
        if counts[where] > 1:
            problem = Problem(
                problem.file, problem.line, problem.path, f"{problem.message}; {counts[where]} steps read it"
            )
        out.append(problem)
    return tuple(out)
