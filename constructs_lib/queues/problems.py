"""The one error type every loader of the project raises for bad input.

A `Problem` is one line for a person: file, line, key path, message. Entry
points print each on stderr and exit with status 2; nothing else may escape
to the user as a traceback.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Sequence, Union

PathPart = Union[str, int]


# Characters str.splitlines() breaks at: none may reach a problem line unescaped.
_LINE_BREAKS = {ch: ch.encode("unicode_escape").decode() for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_ESCAPE = str.maketrans(_LINE_BREAKS)


def format_path(path: Sequence[PathPart]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isprintable() and part.strip() == part and part:
            out += ("." if out else "") + part
        else:  # a key that would not read back as itself (empty, spaces, control characters)
            out += f"[{str(part)!r}]"
    return out


def one_line(text: str) -> str:
    """`text` with every line break escaped, so that it stays one line of output."""
    return text.translate(_ESCAPE)


def kind_of(value: Any) -> str:
    """How a problem line names the kind of a YAML value: 'a boolean', 'a list', ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return one_line(f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}")


class LoadError(Exception):
    """Bad input: one or more problems, each a line of its own."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
