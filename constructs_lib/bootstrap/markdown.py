"""Markdown that reads as itself: text from a build (labels, file names) in the annotation.

A changed file's name or a step's label is the PR's text: in the summary it
must not become a link, an image, emphasis, HTML or a table cell of its own.
`code_span` writes it as code (whatever backticks it holds), `cell` as plain
text. Pure.
"""

from __future__ import annotations

import re

# Backslash-escaped: what makes links, autolinks, emphasis, code and table cells.
_PUNCTUATION = frozenset("\\`*_[]()!|~:.")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_TICKS = re.compile(r"`+")


def _one_line(text: str) -> str:
    return "".join(" " if ch in "\r\n" or not ch.isprintable() else ch for ch in text)


def code_span(text: str) -> str:
    """`text` as one code span: fenced by more backticks than it holds in a row, so none of them closes it.

    Inside a table cell the generator's `|` escape still applies (explain does it); nothing else inside is read.
    """
    text = _one_line(text)
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest or text.startswith(" ") or text.endswith(" ") else text
    return f"{fence}{padded}{fence}"


def cell(text: str) -> str:
    """Text that reads as itself inside a Markdown table cell: no link, emphasis, HTML or autolink."""
    out = []
    for ch in _one_line(text):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
