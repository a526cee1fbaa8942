"""Read test-pipeline YAML the way PyYAML does, keeping the line of every part.

The tested repositories write their step files for PyYAML (YAML 1.1):
`no_gpu: True`, anchors and aliases (`&cpu_distributed_deps`), merge keys.
`constructs_lib.queues.strict_yaml` refuses all of that on purpose, for queues.yaml;
this reader accepts what `yaml.safe_load` accepts and produces the same data,
plus a line for every key path so that problems can point at the file.

It builds values from libyaml's parser events (through strict_yaml's
run_parser, which also bounds the nesting) rather than its composer: the
composer recurses in C and overflows the stack on deeply nested input, which
would kill the bootstrap instead of reporting a problem.
"""

from __future__ import annotations

from typing import Any, Callable

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from constructs_lib.queues import strict_yaml
from constructs_lib.queues.problems import LoadError, PathPart, Problem, format_path

_MAP_TAGS = {None, "!", "tag:yaml.org,2002:map"}
_SEQ_TAGS = {None, "!", "tag:yaml.org,2002:seq"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Aliases share their anchor's value, but everything downstream (steps, the
# pipeline, its JSON) walks it expanded: a file whose aliases expand to more
# values than this (a "billion laughs" bomb) is refused as it is read. The
# largest real step files hold a few tens of thousands.
MAX_EXPANDED_VALUES = 1_000_000
# The same for text: an alias of a long string, repeated, is refused past
# what all the job files together may hold written out (cli.MAX_STEP_BYTES).
MAX_EXPANDED_BYTES = 8 * 2**20


def load(data: bytes, file: str) -> tuple[strict_yaml.Document, list[Problem]]:
    """Parse `data` as PyYAML would. Returns the document and warnings.

    Raises LoadError with every problem found. An empty or comments-only file
    gives a document whose data is None, as `yaml.safe_load` does.
    """
    builder = _Builder(file)
    strict_yaml.run_parser(strict_yaml.decode(data, file), file, builder)
    if builder.problems:
        raise LoadError(builder.problems)
    return strict_yaml.Document(file, builder.root, builder.lines, {}), builder.warnings


def _resolve(resolver: Resolver, value: str, implicit: tuple[bool, bool]) -> str:
    """The tag a plain scalar resolves to (types-PyYAML leaves Resolver.resolve unannotated)."""
    resolve: Callable[..., str] = resolver.resolve
    return resolve(yaml.ScalarNode, value, implicit)


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("value", "path", "anchor", "line", "key", "key_pending", "first_lines", "merges", "size", "text")

    def __init__(self, value: Any, path: tuple[Any, ...], anchor: str | None, line: int):
        self.value = value
        self.path = path
        self.anchor = anchor
        self.line = line
        self.key: Any = None
        self.key_pending = False
        self.first_lines: dict[str, Any] = {}
        self.merges: list[Any] = []
        self.size = 1  # values in it, aliases expanded
        self.text = 0  # characters of its scalars, aliases expanded


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.lines: dict[tuple[PathPart, ...], int] = {}
        self.root: Any = None
        self.documents = 0
        self.anchors: dict[str, Any] = {}
        self.anchor_sizes: dict[str, tuple[int, int]] = {}  # values, characters
        self.open_anchors: set[str] = set()
        self.stack: list[_Frame] = []
        self.fatal = False
        self.constructor = SafeConstructor()
        self.resolver = Resolver()
        self.plain_cache: dict[tuple[Any, ...], Any] = {}

    def _problem(self, line: int, path: tuple[Any, ...], message: str, fatal: bool = False) -> None:
        self.problems.append(Problem(self.file, line, format_path(path), message))
        self.fatal = self.fatal or fatal

    # -- where the next node goes -------------------------------------------------

    def _slot(self) -> tuple[tuple[Any, ...], bool]:
        """Path of the node about to start, and whether it is a mapping key."""
        if not self.stack:
            return (), False
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            return frame.path + (len(frame.value),), False
        if not frame.key_pending:
            return frame.path, True
        return frame.path + (str(frame.key),), False

    def _place(self, value: Any, line: int, anchor: str | None, size: int = 1, text: int = 0) -> None:
        if anchor:
            self.anchors[anchor] = value
            self.anchor_sizes[anchor] = (size, text)
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.size += size
        frame.text += text
        if frame.size > MAX_EXPANDED_VALUES:
            self._problem(
                line,
                frame.path,
                f"aliases expand this to more than {MAX_EXPANDED_VALUES:,} values; write it out plainly",
                fatal=True,
            )
            return
        if frame.text > MAX_EXPANDED_BYTES:
            self._problem(
                line,
                frame.path,
                f"aliases expand this to more than {MAX_EXPANDED_BYTES // 2**20} MiB of text; write it out plainly",
                fatal=True,
            )
            return
        if isinstance(frame.value, list):
            frame.value.append(value)
            return
        if not frame.key_pending:
            self._take_key(frame, value, line)
            return
        frame.key_pending = False
        if frame.key is _MERGE:
            frame.merges.append((value, line))
        elif frame.key is not _SKIP:
            frame.value[frame.key] = value

    def _take_key(self, frame: _Frame, key: Any, line: int) -> None:
        frame.key_pending = True
        if key is _MERGE or key is _SKIP:
            frame.key = key
            return
        try:
            hash(key)
        except TypeError:
            self._problem(line, frame.path, f"mapping keys must be plain values, not {type(key).__name__}")
            frame.key = _SKIP
            return
        part = str(key)
        if key in frame.first_lines:
            self.warnings.append(
                Problem(
                    self.file,
                    line,
                    format_path(frame.path + (part,)),
                    f"duplicate key; the later value wins (first at line {frame.first_lines[key]})",
                )
            )
        else:
            frame.first_lines[key] = line
        self.lines[frame.path + (part,)] = line
        frame.key = key

    # -- events -------------------------------------------------------------------

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents == 2:
                self._problem(
                    strict_yaml.line_of(event), (), "several YAML documents in one file; keep one", fatal=True
                )
            return
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            return
        line = event.start_mark.line + 1
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self._close(line)
            return
        path, is_key = self._slot()
        if isinstance(event, yaml.AliasEvent):
            self._alias(event, line, path)
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line, path, is_key)
        else:
            self._open(event, line, path, is_key)

    def _alias(self, event: Any, line: int, path: tuple[Any, ...]) -> None:
        name = event.anchor
        if name in self.open_anchors:
            self._problem(line, path, f"alias *{name} refers to a value that contains it", fatal=True)
            return
        if name not in self.anchors:
            self._problem(line, path, f"alias *{name} has no anchor &{name} before it", fatal=True)
            return
        self.lines.setdefault(path, line)
        # Shared, as PyYAML shares it: nothing downstream mutates loaded data.
        self._place(self.anchors[name], line, None, *self.anchor_sizes[name])

    def _scalar(self, event: Any, line: int, path: tuple[Any, ...], is_key: bool) -> None:
        if is_key and event.value == "<<" and event.style in (None, "") and event.tag in (None, _MERGE_TAG):
            self._place(_MERGE, line, None)
            return
        value = self._construct(event, line, path)
        if not is_key:
            self.lines.setdefault(path, line)
        self._place(value, line, event.anchor, 1, len(event.value))

    def _construct(self, event: Any, line: int, path: tuple[Any, ...]) -> Any:
        tag = event.tag
        if tag in (None, "!"):
            if tag == "!" or event.style not in (None, ""):
                return event.value
            cached = self.plain_cache.get((event.value, event.implicit))
            if cached is not None:
                tag = cached
            else:
                tag = _resolve(self.resolver, event.value, event.implicit)
                self.plain_cache[(event.value, event.implicit)] = tag
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as err:
            self._problem(line, path, f"cannot read {event.value[:40]!r} as {tag}: {_reason(err)}")
            return None

    def _open(self, event: Any, line: int, path: tuple[Any, ...], is_key: bool) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (_MAP_TAGS if mapping else _SEQ_TAGS):
            self._problem(line, path, f"tag {event.tag} is not supported in step files", fatal=True)
            return
        if not is_key:
            self.lines.setdefault(path, line)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame({} if mapping else [], path, event.anchor, line))

    def _close(self, line: int) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
        value = frame.value
        if frame.merges:
            value = self._merged(frame)
        self._place(value, frame.line, frame.anchor, frame.size, frame.text)

    def _merged(self, frame: _Frame) -> dict[str, Any]:
        """Apply `<<` merge keys with PyYAML's precedence: own keys, then earlier merges."""
        merged: dict[str, Any] = {}
        for value, line in reversed(frame.merges):
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(source, dict) for source in sources):
                self._problem(line, frame.path, "a merge key (<<) takes a mapping or a list of mappings")
                continue
            for source in reversed(sources):
                merged.update(source)
        merged.update(frame.value)
        return merged


def _reason(err: Exception) -> str:
    text = getattr(err, "problem", None) or str(err)
    return text.splitlines()[0] if text else type(err).__name__


_MERGE = object()  # the key `<<`: its value merges into the mapping
_SKIP = object()  # a key that was refused: its value is dropped
