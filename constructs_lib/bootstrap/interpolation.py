"""Upload-time variables: values of the build are data, never shell text.

`buildkite-agent pipeline upload` would replace every `$NAME` and `${NAME}`
with the bootstrap job's environment, and the step files come from the tested
checkout: a PR could write `echo ${ANY_BOOTSTRAP_VARIABLE}` and read it in the
uploaded pipeline. The bootstrap uploads with `--no-interpolation`.

Commands are never given a value of the build: `$$NAME` becomes the job's
`$NAME` and every other `$NAME` stays as it is, for the job's shell, where
the agent (Buildkite's own variables) or the step's `env` (the generator's
image variables) gives it its value. A value in a variable is data to the
shell whatever it holds; no quoting scheme over shell text is needed.

Fields that are not shell text (labels, env values, agent tags and the other
Buildkite fields) have a short allow-list of build variables resolved here,
as upload would have done. Pure.
"""

from __future__ import annotations

import re
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

_REFERENCE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")


def resolve(text: str, values: Mapping[str, str]) -> str:
    """A field that is not shell text: `$$` made `$` and each `$NAME`/`${NAME}` of `values` replaced."""
    out: list[str] = []
    position = 0
    for match in _REFERENCE.finditer(text):
        reference = match.group(0)
        name = match.group(1) or match.group(2)
        if reference == "$$":
            replacement = "$"
        elif name in values and reference in ("$" + name, "${" + name + "}"):
            replacement = values[name]
        else:
            continue  # not ours, or an expansion with an operator (${NAME:-x}): left as written
        out.append(text[position : match.start()])
        position = match.end()
        out.append(replacement)
    out.append(text[position:])
    return "".join(out)


def shell_text(command: str) -> str:
    """A command as the job's shell runs it: `$$` is the job's `$`; nothing is substituted."""
    return command.replace("$$", "$")


def references(command: str) -> frozenset[str]:
    """The variable names a command refers to (`$NAME`, `${NAME}`, `${NAME:-x}`), after `$$` is made `$`."""
    return frozenset(m.group(1) or m.group(2) for m in _REFERENCE.finditer(shell_text(command)) if m.group(0) != "$$")
