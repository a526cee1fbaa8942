"""The one error type every loader of the project raises for bad input.

A `Problem` is one line for a person: file, line, key path, message. Entry
points print each on stderr and exit with status 2; nothing else may escape
to the user as a traceback.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence, Union

PathPart = Union[str, int]


def format_path(path: Sequence[PathPart]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class LoadError(Exception):
    """Bad input: one or more problems, each a line of its own."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
