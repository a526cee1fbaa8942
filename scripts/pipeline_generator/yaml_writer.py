"""Write JSON-shaped data (dicts, lists, strings, numbers, booleans, None) as block YAML.

PyYAML's dumpers, the C one included, spend their time in the Python
representer: a third of the generation time of the largest pipeline. This
writer only has to handle what a pipeline holds, so it writes text directly:

- a string stays plain when it starts with a letter or one of `_/$(`, holds
  only characters that are safe in a plain scalar, and PyYAML's YAML 1.1
  resolver reads it back as a string (so `yes`, `1_000` or `0o17` are quoted
  for YAML 1.1 and 1.2 readers alike);
- a multi-line string is a literal block when YAML can hold it as one;
- everything else is double-quoted with YAML escapes.

Tests check that `yaml.safe_load` reads back exactly what was written.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_PLAIN = re.compile(r"[A-Za-z_/$(][A-Za-z0-9_./$()+,=@%:\- ]*")
_STR_TAG = "tag:yaml.org,2002:str"
_resolver = yaml.resolver.Resolver()
_plain_cache: dict[str, bool] = {}

# What YAML 1.1 cannot hold raw in a scalar (line breaks and what is outside its
# printable set), and what a double-quoted scalar must escape. Both are written
# as the few ranges outside the printable set: a class of the large ranges
# inside it takes milliseconds to compile, at every start of the bootstrap.
_NOT_RAW = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


def dump(data: Any) -> str:
    lines: list[str] = []
    _node(data, 0, lines, "")
    return "\n".join(lines) + "\n"


def _node(value: Any, indent: int, lines: list[str], lead: str) -> None:
    """Append `value` at `indent`; `lead` is what stands before it on its first line."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        first = True
        for key, item in value.items():
            head = (lead if first else pad) + _scalar(str(key)) + ":"
            first = False
            _member(item, indent, lines, head)
    elif isinstance(value, list) and value:
        first = True
        for item in value:
            head = (lead if first else pad) + "- "
            first = False
            if isinstance(item, (dict, list)) and item:
                _node(item, indent + 2, lines, head)
            else:
                _member(item, indent, lines, head.rstrip())
    else:
        lines.append(lead + _scalar(value))


def _member(item: Any, indent: int, lines: list[str], head: str) -> None:
    """A mapping value or list item after `head` (which ends in `:` or `-`)."""
    if isinstance(item, dict) and item:
        lines.append(head)
        _node(item, indent + 2, lines, " " * (indent + 2))
    elif isinstance(item, list) and item:
        lines.append(head)
        _node(item, indent, lines, " " * indent)
    elif isinstance(item, str) and _literal(item):
        chomp = "" if item.endswith("\n") else "-"
        lines.append(f"{head} |{chomp}")
        body = " " * (indent + 2)
        lines.extend(body + line if line else "" for line in item[: -1 if chomp == "" else None].split("\n"))
    else:
        lines.append(f"{head} {_scalar(item)}")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        # YAML 1.1 floats need a dot: 1e-05 would read back as a string.
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    text = str(value)
    if _plain(text):
        return text
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _plain(text: str) -> bool:
    known = _plain_cache.get(text)
    if known is None:
        known = bool(
            _PLAIN.fullmatch(text)
            and not text.endswith((" ", ":"))
            and ": " not in text
            and " #" not in text
            and _resolver.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
        )
        _plain_cache[text] = known
    return known


def _literal(text: str) -> bool:
    """Whether a literal block holds `text` exactly (with `|` or `|-` chomping)."""
    return (
        "\n" in text
        and not text.startswith((" ", "\n"))
        and not text.endswith(("\n\n", " "))
        and " \n" not in text
        and "\t\n" not in text
        and not text.endswith("\t")
        and "\r" not in text
        and not _NOT_RAW.search(text.replace("\n", ""))
    )


def _escape(match: re.Match) -> str:
    char = match.group(0)
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
