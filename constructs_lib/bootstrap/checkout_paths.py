"""The files of the tested checkout that the generator's own commands name. Pure.

The scripts and Dockerfiles the generator adds to a pipeline moved between
a repository's layouts; its profile (Profile.checkout_paths) gives each its
known paths, newest first. The
command line looks up which of them the checkout holds (`present`); a command
names the newest path that exists. Where none does, the job fails saying so
and the build's summary warns about it. Where the checkout is unknown (a
step file outside a `.buildkite` folder), the newest path is taken.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Mapping, Optional

from constructs_lib.bootstrap.steps import Origin
from constructs_lib.queues.problems import Problem


@dataclasses.dataclass(frozen=True)
class Resolved:
    name: str
    path: Optional[str]  # None: the checkout holds none of the known paths
    candidates: tuple[str, ...]  # the known paths, newest first

    def missing_command(self) -> str:
        """A command that fails, saying which file the checkout lacks."""
        wanted = " or ".join(self.candidates)
        return f"echo {shlex.quote(f'this checkout has no {wanted}')} >&2; exit 1"


def resolve(name: str, present: Optional[frozenset[str]], paths: Mapping[str, tuple[str, ...]]) -> Resolved:
    candidates = paths[name]
    if present is None:
        return Resolved(name, candidates[0], candidates)
    return Resolved(name, next((p for p in candidates if p in present), None), candidates)


class Lookups:
    """The paths one build's commands look for, each with the first step that needed it."""

    def __init__(self, present: Optional[frozenset[str]], paths: Mapping[str, tuple[str, ...]]):
        self.present = present
        self.paths = paths
        self._found: dict[str, tuple[Resolved, Origin]] = {}

    def resolve(self, name: str, origin: Origin) -> Resolved:
        resolved = resolve(name, self.present, self.paths)
        self._found.setdefault(name, (resolved, origin))
        return resolved

    def missing(self) -> list[Problem]:
        """A warning for each path the checkout lacks."""
        return [
            Problem(
                origin.file,
                origin.line,
                "",
                f"this checkout has no {' or '.join(resolved.candidates)}: the jobs that run it fail saying so",
            )
            for resolved, origin in self._found.values()
            if resolved.path is None
        ]
