"""A strict YAML reader that keeps line numbers.

PyYAML follows YAML 1.1 and is lenient where a declaration file must not be:
it keeps the last of two duplicate keys, reads `on`/`no` as booleans, `010`
as octal and `6.20` as a float, and expands anchors, aliases, merge keys and
tags. This reader works on the parser's events instead, so it can refuse each
of those with the line it stands on, and it records the line of every key so
that later validation errors can point at the right place too.

Scalars follow the YAML 1.2 core schema; plain scalars that YAML 1.1 tools
would read differently are refused rather than guessed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from typing import Any

import yaml

from constructs_lib.queues.problems import LoadError, PathPart, Problem, format_path

# libyaml's parser when present: the bootstrap reads large files on small agents.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(event: yaml.Event) -> int:
    """The 1-based line an event starts on (PyYAML's parser always marks it)."""
    return event.start_mark.line + 1 if event.start_mark is not None else 0


MAX_BYTES = 1024 * 1024
# The largest whole number a JavaScript double (cdktf's jsii kernel, Terraform's
# JSON) holds exactly: anything larger would be written rounded.
MAX_EXACT_INT = 2**53 - 1
# queues.yaml is a few levels deep; far deeper input is refused before the
# parser's own stacks grow with it (older libyaml builds exhaust memory on
# a 100 kB run of "[").
MAX_DEPTH = 64

_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOL = {"y", "n", "yes", "no", "on", "off"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_YAML11_INT = re.compile(r"[-+]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*(:[0-5]?[0-9])+|[0-9]+(_[0-9]+)+)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}


@dataclasses.dataclass
class Document:
    """A loaded file: plain Python data plus where each part of it stands."""

    file: str
    data: Any
    lines: dict[tuple[PathPart, ...], int]
    raw: dict[tuple[PathPart, ...], str]

    def line_of(self, path: tuple[PathPart, ...] | list[PathPart]) -> int:
        """Line of the deepest part of `path` that exists in the file."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: tuple[PathPart, ...] | list[PathPart], message: str) -> Problem:
        return Problem(self.file, self.line_of(path), format_path(path), message)


def decode(data: bytes, file: str) -> str:
    if len(data) > MAX_BYTES:
        raise LoadError([Problem(file, 0, "", f"file is {len(data)} bytes; the limit is {MAX_BYTES} (1 MiB)")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LoadError(
            [Problem(file, line, "", f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})")]
        ) from None


def read_file(path: str, display: str | None = None) -> bytes:
    """A regular file's first MAX_BYTES + 1 bytes; a FIFO, device or folder is refused at once (it could block forever)."""
    display = display or path
    try:
        # Non-blocking: opening a FIFO with no writer returns at once instead of waiting for one.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise LoadError([Problem(display, 0, "", f"cannot read: {err.strerror}")]) from None
    with os.fdopen(descriptor, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise LoadError([Problem(display, 0, "", "not a regular file (a FIFO, device or folder is not read)")])
        try:
            return fh.read(MAX_BYTES + 1)
        except OSError as err:
            raise LoadError([Problem(display, 0, "", f"cannot read: {err.strerror}")]) from None


def run_parser(text: str, file: str, builder: Any) -> bool:
    """Feed libyaml's parser events to `builder.feed`, one at a time.

    Shared by this reader and the bootstrap's lenient one. A syntax error, or
    nesting deeper than MAX_DEPTH (which bounds the builder's `stack`), is
    appended to `builder.problems` and stops reading, as does the builder's
    `fatal` turning true. Returns True when reading stopped early.
    """
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
            if len(builder.stack) > MAX_DEPTH:
                line = line_of(event)
                builder.problems.append(Problem(file, line, "", f"nested deeper than {MAX_DEPTH} levels"))
                return True
            if builder.fatal:
                return True
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 0
        builder.problems.append(Problem(file, line, "", f"YAML syntax error: {err.problem or err}"))
        return True
    except yaml.reader.ReaderError as err:  # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, err.position) + 1 if isinstance(err.position, int) else 0
        shown = repr(chr(err.character))[1:-1] if isinstance(err.character, int) else repr(err.character)
        builder.problems.append(Problem(file, line, "", f"the character {shown} is not allowed in YAML"))
        return True
    except yaml.YAMLError as err:
        builder.problems.append(Problem(file, 0, "", f"YAML error: {err}"))
        return True
    return False


def load(data: bytes, file: str) -> Document:
    """Parse `data` strictly. Raises LoadError with every problem found."""
    text = decode(data, file)
    builder = _Builder(file)
    if run_parser(text, file, builder):
        raise LoadError(builder.problems)
    if builder.documents == 0 or (builder.documents == 1 and builder.root is None and not builder.problems):
        builder.problems.append(Problem(file, 1, "", "file is empty"))
    if builder.problems:
        raise LoadError(builder.problems)
    return Document(file, builder.root, builder.lines, builder.raw)


class _Builder:
    """Turns parser events into plain data, collecting problems as it goes."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.lines: dict[tuple[PathPart, ...], int] = {}
        self.raw: dict[tuple[PathPart, ...], str] = {}
        self.documents = 0
        self.fatal = False  # this reader reports every problem and reads on
        self.root: Any = None
        # Each frame: [container, path, pending key (mappings), first line of each key, is-a-key]
        self.stack: list[list[Any]] = []

    def _problem(self, line: int, path: tuple[PathPart, ...], message: str) -> None:
        self.problems.append(Problem(self.file, line, format_path(path), message))

    def _check_node(self, event: Any, line: int, path: tuple[PathPart, ...]) -> None:
        if getattr(event, "anchor", None):
            self._problem(line, path, f"anchors are not allowed (&{event.anchor}); write the value out")
        tag = getattr(event, "tag", None)
        if tag and not (isinstance(event, yaml.ScalarEvent) and tag == "!" and event.style not in (None, "")):
            self._problem(line, path, f"tags are not allowed ({tag})")

    def _next_path(self) -> tuple[tuple[PathPart, ...], bool]:
        """Path of the node about to start, and whether it is a mapping key."""
        if not self.stack:
            return (), False
        container, path, key, _, _ = self.stack[-1]
        if isinstance(container, list):
            return path + (len(container),), False
        if key is _NO_KEY:
            return path, True
        return path + (key,), False

    def _store(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container, path, key, _, _ = frame
        if isinstance(container, list):
            container.append(value)
        elif key is not _SKIP:
            container[key] = value
        if isinstance(container, dict):
            frame[2] = _NO_KEY

    def _key(self, event: Any, line: int) -> None:
        frame = self.stack[-1]
        container, path, _, first_lines, _ = frame
        if not isinstance(event, yaml.ScalarEvent):
            self._problem(line, path, "mapping keys must be plain strings")
            frame[2] = _SKIP
            return
        key = event.value
        if key == "<<" and event.style in (None, ""):
            self._problem(line, path, "merge keys (<<) are not allowed; write the keys out")
            frame[2] = _SKIP
            return
        if event.style in (None, "") and self._not_a_string(key):
            self._problem(
                line, path + (key,), f"the key '{key}' is read as {self._not_a_string(key)} by YAML 1.1 tools; quote it"
            )
        if key in first_lines:
            self._problem(line, path + (key,), f"duplicate key (first defined at line {first_lines[key]})")
            frame[2] = _SKIP
            return
        first_lines[key] = line
        self.lines[path + (key,)] = line
        frame[2] = key

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents == 2:
                self._problem(line_of(event), (), "several YAML documents in one file; keep one")
            return
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            return
        if self.documents > 1:
            return
        line = event.start_mark.line + 1
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            container, _, _, _, was_key = self.stack.pop()
            if was_key:
                self.stack[-1][2] = _SKIP
            else:
                self._store(container)
            return
        path, is_key = self._next_path()
        if isinstance(event, yaml.AliasEvent):
            self._problem(line, path, f"aliases are not allowed (*{event.anchor}); write the value out")
            if is_key:
                self.stack[-1][2] = _SKIP
            else:
                self._store(None)
            return
        self._check_node(event, line, path)
        if is_key:
            self._key(event, line)
            if not isinstance(event, yaml.ScalarEvent):
                # A collection used as a key: parse it, then drop it.
                self.stack.append([{} if isinstance(event, yaml.MappingStartEvent) else [], path, _NO_KEY, {}, True])
            return
        self.lines.setdefault(path, line)
        if isinstance(event, yaml.MappingStartEvent):
            self.stack.append([{}, path, _NO_KEY, {}, False])
        elif isinstance(event, yaml.SequenceStartEvent):
            self.stack.append([[], path, None, {}, False])
        elif isinstance(event, yaml.ScalarEvent):
            self._store(self._scalar(event, line, path))

    @staticmethod
    def _not_a_string(key: str) -> str:
        """What YAML tools read a plain key as when it is not a string ('' when it is one)."""
        if key in _NULL:
            return "null"
        if key in _BOOL or key.lower() in _YAML11_BOOL:
            return "a boolean"
        if _INT.fullmatch(key) or _LEADING_ZERO.fullmatch(key) or _YAML11_INT.fullmatch(key) or _FLOAT.fullmatch(key):
            return "a number"
        return ""

    def _scalar(self, event: Any, line: int, path: tuple[PathPart, ...]) -> Any:
        text = event.value
        self.raw[path] = text
        if event.style not in (None, ""):
            return text
        if text in _NULL:
            return None
        if text in _BOOL:
            return _BOOL[text]
        if text.lower() in _YAML11_BOOL:
            self._problem(line, path, f"'{text}' is read as a boolean by YAML 1.1 tools; write true/false, or quote it")
            return text
        if _INT.fullmatch(text):
            if len(text) > 17 or abs(int(text)) > MAX_EXACT_INT:
                self._problem(line, path, f"{text} is too large to be held exactly (the limit is {MAX_EXACT_INT})")
                return text
            return int(text)
        if _LEADING_ZERO.fullmatch(text):
            self._problem(
                line, path, f"'{text}' has a leading zero (YAML 1.1 reads it as octal); write it without, or quote it"
            )
            return text
        if _YAML11_INT.fullmatch(text):
            self._problem(
                line, path, f"'{text}' is read differently by YAML 1.1 tools; write a plain decimal, or quote it"
            )
            return text
        if _FLOAT.fullmatch(text):
            return float(text)
        if text.lower() in _SPECIAL_FLOAT:
            return _SPECIAL_FLOAT[text.lower()]
        return text


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


_NO_KEY = _Marker("NO_KEY")
_SKIP = _Marker("SKIP")
