"""The files of the tested checkout that the generator's own commands name. Pure.

The scripts and Dockerfiles the generator adds to a pipeline moved between
vLLM's layouts (`.buildkite/run-amd-test.sh` in 2024 became
`.buildkite/scripts/hardware_ci/run-amd-test.sh`; `Dockerfile.rocm` became
`docker/Dockerfile.rocm`). Each has its known paths here, newest first. The
command line looks up which of them the checkout holds (`present`); a command
names the newest path that exists. Where none does, the job fails saying so
and the build's summary warns about it. Where the checkout is unknown (a
step file outside a `.buildkite` folder), the newest path is taken.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Optional

from constructs_lib.bootstrap.steps import Origin
from constructs_lib.queues.problems import Problem

PATHS: dict[str, tuple[str, ...]] = {
    "amd-test": (".buildkite/scripts/hardware_ci/run-amd-test.sh", ".buildkite/run-amd-test.sh"),
    "rocm-dockerfile": ("docker/Dockerfile.rocm", "Dockerfile.rocm"),
    "neuron-test": (".buildkite/scripts/hardware_ci/run-neuron-test.sh", ".buildkite/run-neuron-test.sh"),
    "intel-cpu-test": (".buildkite/scripts/hardware_ci/run-cpu-test.sh", ".buildkite/run-cpu-test.sh"),
    "intel-gpu-test": (".buildkite/scripts/hardware_ci/run-xpu-test.sh", ".buildkite/run-xpu-test.sh"),
    "ppc64le-test": (".buildkite/scripts/hardware_ci/run-cpu-test-ppc64le.sh", ".buildkite/run-cpu-test-ppc64le.sh"),
    "tpu-test": (
        ".buildkite/scripts/hardware_ci/run-tpu-v1-test.sh",
        ".buildkite/run-tpu-v1-test.sh",
        ".buildkite/run-tpu-test.sh",
    ),
    "multi-node": (".buildkite/scripts/run-multi-node-test.sh", ".buildkite/run-multi-node-test.sh"),
    "torch-nightly-dockerfile": ("docker/Dockerfile.nightly_torch",),
}

ALL_PATHS: tuple[str, ...] = tuple(path for paths in PATHS.values() for path in paths)


@dataclasses.dataclass(frozen=True)
class Resolved:
    name: str
    path: Optional[str]  # None: the checkout holds none of the known paths

    def missing_command(self) -> str:
        """A command that fails, saying which file the checkout lacks."""
        wanted = " or ".join(PATHS[self.name])
        return f"echo {shlex.quote(f'this checkout has no {wanted}')} >&2; exit 1"


def resolve(name: str, present: Optional[frozenset[str]]) -> Resolved:
    candidates = PATHS[name]
    if present is None:
        return Resolved(name, candidates[0])
    return Resolved(name, next((p for p in candidates if p in present), None))


class Lookups:
    """The paths one build's commands look for, each with the first step that needed it."""

    def __init__(self, present: Optional[frozenset[str]]):
        self.present = present
        self._found: dict[str, tuple[Resolved, Origin]] = {}

    def resolve(self, name: str, origin: Origin) -> Resolved:
        resolved = resolve(name, self.present)
        self._found.setdefault(name, (resolved, origin))
        return resolved

    def missing(self) -> list[Problem]:
        """A warning for each path the checkout lacks."""
        return [
            Problem(
                origin.file,
                origin.line,
                "",
                f"this checkout has no {' or '.join(PATHS[resolved.name])}: the jobs that run it fail saying so",
            )
            for resolved, origin in self._found.values()
            if resolved.path is None
        ]
