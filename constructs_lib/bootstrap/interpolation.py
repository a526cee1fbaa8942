"""Upload-time variables, resolved by the generator instead of `pipeline upload`.

`buildkite-agent pipeline upload` would replace every `$NAME` and `${NAME}`
with the bootstrap job's environment, and the step files come from the tested
checkout: a PR could write `echo ${ANY_BOOTSTRAP_VARIABLE}` and read it in the
uploaded pipeline. The bootstrap uploads with `--no-interpolation`, and the
generator resolves exactly the variables step files rely on at upload time:
a short allow-list of Buildkite build variables and the generator's own image
variables. `$$NAME` stays the job's own `$NAME`; any other `$NAME` is left for
the job's shell, where the agent, not the bootstrap, gives it a value.

Values entering a shell command are quoted for where they stand: bare, inside
double quotes or inside single quotes. A value of plain characters is written
as it is. Pure.
"""

from __future__ import annotations

import re
import shlex
from typing import Mapping

# Build variables that step files use at upload time and that the bootstrap's
# Buildkite environment holds for the build being generated.
BUILD_VARIABLES = (
    "BUILDKITE_BRANCH",
    "BUILDKITE_BUILD_ID",
    "BUILDKITE_BUILD_NUMBER",
    "BUILDKITE_COMMIT",
    "BUILDKITE_PIPELINE_DEFAULT_BRANCH",
    "BUILDKITE_PIPELINE_SLUG",
    "BUILDKITE_PULL_REQUEST",
    "BUILDKITE_PULL_REQUEST_BASE_BRANCH",
    "BUILDKITE_TAG",
)

_REFERENCE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Plain characters, and the name of a build variable still to be filled in (an
# image tag in a local preview, before the commit is known): neither runs code.
_INERT = re.compile(r"(?:[A-Za-z0-9_./:@%+=,-]|\$BUILDKITE_[A-Z_]+)*")
BARE, DOUBLE, SINGLE = "bare", "double", "single"


def is_inert(value: str) -> bool:
    """True when the value is safe to a shell in any quoting: no quote, space or code."""
    return bool(_INERT.fullmatch(value))


def resolve(text: str, values: Mapping[str, str], shell: bool = False) -> str:
    """`text` with `$$` made `$` and each `$NAME`/`${NAME}` of `values` replaced.

    With `shell`, a replaced value that is not inert is quoted for its place
    in the command, so that it is never run as code.
    """
    out: list[str] = []
    position = 0
    contexts = _quoting(text) if shell else None
    for match in _REFERENCE.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        if match.group(0) == "$$":
            out.append("$")
            continue
        name = match.group(1) or match.group(2)
        if name not in values:
            out.append(match.group(0))
            continue
        value = values[name]
        if contexts is not None and not is_inert(value):
            value = _quote(value, contexts[match.start()])
        out.append(value)
    out.append(text[position:])
    return "".join(out)


def _quote(value: str, context: str) -> str:
    if context == SINGLE:
        return value.replace("'", "'\\''")
    if context == DOUBLE:
        return re.sub(r'([\\$`"])', r"\\\1", value)
    return shlex.quote(value)


def _quoting(text: str) -> list[str]:
    """The quoting in force at each character of a shell command."""
    contexts = []
    state = BARE
    escaped = False
    for ch in text:
        contexts.append(state)
        if escaped:
            escaped = False
        elif state == SINGLE:
            if ch == "'":
                state = BARE
        elif ch == "\\":
            escaped = True
        elif state == DOUBLE:
            if ch == '"':
                state = BARE
        elif ch == "'":
            state = SINGLE
        elif ch == '"':
            state = DOUBLE
    return contexts
