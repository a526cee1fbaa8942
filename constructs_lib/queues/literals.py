"""Every string of queues.yaml is a literal: nothing in it may turn into code downstream.

The strings reach `cdk.tf.json`, where Terraform reads `${...}` as an
expression (`${file("/etc/passwd")}` would read a local file at plan time)
and `%{...}` as a template directive, and cdktf reads `${TfToken[...]}` as a
reference to another construct. No value of queues.yaml needs any of them, so
they are refused wherever they stand (keys too), as are control characters:
a newline in a name or a parameter would start another line of whatever it
is written into. Descriptions alone may span lines. Pure.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

Finding = tuple[tuple[Any, ...], str]

_TEMPLATE = re.compile(r"[$%]\{")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")  # newlines and tabs allowed
PROSE_KEYS = frozenset({"description"})


def check(data: Any) -> list[Finding]:
    return list(_walk(data, ()))


def _walk(value: Any, path: tuple[Any, ...]) -> Iterator[Finding]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield from _string(key, path + (key,), prose=False)
            yield from _walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path + (index,))
    elif isinstance(value, str):
        yield from _string(value, path, prose=bool(path) and path[-1] in PROSE_KEYS)


def _string(text: str, path: tuple[Any, ...], prose: bool) -> Iterator[Finding]:
    found = _TEMPLATE.search(text)
    if found:
        yield (
            path,
            f"'{found.group(0)}' would be read by Terraform as an expression or directive; queues.yaml takes literal values",
        )
    control = (_CONTROL_IN_PROSE if prose else _CONTROL).search(text)
    if control:
        yield path, f"holds a control character ({control.group(0)!r}); write it on one line without it"
