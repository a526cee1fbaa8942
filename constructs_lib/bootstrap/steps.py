"""One test step, as both step-file formats describe it, and the readers of its values.

Both formats (the single `.buildkite/test-pipeline.yaml` and the job files of
the current layout) share most field names; a step of either becomes one
`TestStep` (`step_model`). Each reader here either returns a value in normal
form or raises `FieldError` with a sentence for a person; `step_model` says
which field each reads, `step_reader` reads the steps.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Optional

from constructs_lib.queues.problems import Problem, format_path, kind_of

# Buildkite's key rule without `$`, `{` and `}`: `pipeline upload` would interpolate them.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.,]+$")
# Room for the prefixes the generator adds (`block-`, `amd-`) within Buildkite's 100.
MAX_KEY_LENGTH = 80
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Image coordinates end up in shell commands: no spaces, quotes or `$`.
REGISTRY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]+)?(/[A-Za-z0-9._-]+)*$")
REPOSITORY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._/-]*$")


class FieldError(ValueError):
    """An invalid value of a known field; the message is for a person."""


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a step stands: for problems and for the explanation."""

    file: str
    line: int
    path: tuple[Any, ...]

    def problem(self, message: str, *field: Any) -> Problem:
        return Problem(self.file, self.line, format_path(self.path + field), message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Mirror:
    """A copy of a step on another hardware line (the AMD mirror)."""

    family: str  # what the mirror is called: "amd"
    hardware: Optional[str] = None  # hardware line to route by (mirror_hardwares value)
    device: Optional[str] = None  # device to route by (mirror.amd.device)
    count: Optional[int] = None  # accelerators it needs, when it says
    commands: Optional[tuple[str, ...]] = None
    working_dir: Optional[str] = None
    depends_on: Optional[tuple[str, ...]] = None
    soft_fail: Any = None
    timeout: Optional[int] = None
    dependencies: Optional[tuple[str, ...]] = None  # added to the step's own
    optional: Optional[bool] = None
    env: Optional[dict[str, Any]] = None
    dind: Optional[bool] = None  # False: a native job of its family (MirrorRecipe.native); None: the step's own
    tags: Optional[dict[str, Any]] = None  # agent_tags beside its queue (native jobs)
    label: Optional[str] = None  # its label instead of the family's form
    no_plugin: Optional[bool] = None  # its commands as they are on the agent, not through the family's wrapper
    no_gpu: Optional[bool] = None  # it needs no GPU (None: as its parent)
    concurrency: Optional[int] = None  # its own, with concurrency_group (None: its parent's)
    concurrency_group: Optional[str] = None


# -- readers of single values -----------------------------------------------------


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(f"must be a string, not {kind_of(value)}")
    return value


def text(value: Any) -> str:
    given = string(value)
    if not given.strip():
        raise FieldError("must not be empty")
    return given


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"must be true or false, not {kind_of(value)}")
    return value


def count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"must be a whole number, not {kind_of(value)}")
    if value < 1:
        raise FieldError(f"must be at least 1 (got {value})")
    return value


def at_most(limit: int, what: str) -> Callable[[Any], int]:
    """A reader of counts from 1 to `limit`; `what` says whose limit it is."""

    def read(value: Any) -> int:
        given = count(value)
        if given > limit:
            raise FieldError(f"must be at most {limit} ({what}; got {given})")
        return given

    return read


# What Buildkite and the hardware allow; a larger value is a typo that would
# build a pipeline of millions of jobs or a wait of years.
MAX_PARALLELISM = 1000  # jobs of one step
MAX_TIMEOUT_MINUTES = 10080  # a week
MAX_ACCELERATORS = 64  # per node: no host has more
MAX_NODES = 64
MAX_EXIT_STATUS = 255  # exit statuses are bytes; Buildkite's own are small negatives (-1 lost agent, -10 ...)
parallelism = at_most(MAX_PARALLELISM, "jobs of one step")
timeout = at_most(MAX_TIMEOUT_MINUTES, "a week")
accelerators = at_most(MAX_ACCELERATORS, "accelerators per node")
nodes = at_most(MAX_NODES, "nodes of one step")


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[Any], str]:
    """A reader of strings that `pattern` matches; `what` names them in the problem."""

    def read(value: Any) -> str:
        given = string(value)
        if not pattern.match(given):
            raise FieldError(f"{given!r} is not {what}")
        return given

    return read


name = _matching(NAME_PATTERN, "a valid name (letters, digits, '_', '.', '-')")
registry = _matching(REGISTRY_PATTERN, "an image registry like registry.example.com/ci")
repository = _matching(REPOSITORY_PATTERN, "an image repository name like ci-test-repo")
_key_text = _matching(KEY_PATTERN, "a valid step key (letters, digits and _-:.,)")


def key(value: Any) -> str:
    given = _key_text(value)
    if len(given) > MAX_KEY_LENGTH:
        raise FieldError(f"takes at most {MAX_KEY_LENGTH} characters (got {len(given)})")
    return given


def strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError(f"must be a list of strings, not {kind_of(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise FieldError(f"item {i} must be a string, not {kind_of(item)}")
    return tuple(value)


def prefixes(value: Any) -> tuple[str, ...]:
    given = strings(value)
    for i, item in enumerate(given):
        if not item:
            raise FieldError(f"item {i} is empty; an empty prefix would match every file")
    return given


def commands(value: Any) -> tuple[Any, ...]:
    """A string, a list of strings, or (multi-node) a list of lists of strings."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value:
        raise FieldError(
            f"must be a string or a non-empty list, not {kind_of(value) if value != [] else 'an empty list'}"
        )
    if all(isinstance(item, list) for item in value):
        return tuple(strings(item) for item in value)
    return strings(value)


def depends_on(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    items = strings(value)
    for item in items:
        key(item)
    return items


def _mapping_of(name_pattern: re.Pattern[str], what: str, names: str) -> Callable[[Any], dict[str, Any]]:
    """A reader of `name: value` mappings whose values are strings or numbers, written as strings."""

    def read(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldError(f"must be a mapping of {what}, not {kind_of(value)}")
        out = {}
        for name_, item in value.items():
            if not isinstance(name_, str) or not name_pattern.match(name_):
                raise FieldError(f"{name_!r} is not a valid {names}")
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise FieldError(f"{name_}: must be a string or number, not {kind_of(item)}")
            out[name_] = item if isinstance(item, str) else str(item)
        return out

    return read


env = _mapping_of(re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$"), "names to values", "environment variable name")
# `agents:` of a step: tag -> value, as Buildkite's agent targeting takes them.
agent_tags = _mapping_of(NAME_PATTERN, "agent tags", "agent tag name")


_SIGNAL_REASONS = {
    "*",
    "none",
    "agent_incompatible",
    "agent_refused",
    "agent_stop",
    "cancel",
    "process_run_error",
    "signature_rejected",
    "stack_error",
}


def _is_status(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_EXIT_STATUS <= value <= MAX_EXIT_STATUS


def _exit_status(value: Any) -> None:
    if value == "*" or _is_status(value):
        return
    if isinstance(value, list) and value and all(_is_status(v) for v in value):
        return
    raise FieldError(
        f"exit_status must be a whole number from -{MAX_EXIT_STATUS} to {MAX_EXIT_STATUS}, a list of them, or '*'"
    )


def _retry_rule(rule: Any) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise FieldError(f"automatic rules must be mappings, not {kind_of(rule)}")
    for field, value in rule.items():
        if field == "exit_status":
            _exit_status(value)
        elif field == "limit":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise FieldError("limit must be a whole number from 0 to 10")
        elif field == "signal":
            string(value)
        elif field == "signal_reason":
            if value not in _SIGNAL_REASONS:
                raise FieldError(f"signal_reason must be one of {', '.join(sorted(_SIGNAL_REASONS))}")
        else:
            raise FieldError(f"unknown automatic retry field {field!r}")
    return dict(rule)


def retry(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(f"must be a mapping (automatic, manual), not {kind_of(value)}")
    out: dict[str, Any] = {}
    for field, item in value.items():
        if field == "automatic":
            if isinstance(item, bool):
                out[field] = item
            elif isinstance(item, list):
                out[field] = [_retry_rule(rule) for rule in item]
            else:
                out[field] = [_retry_rule(item)]
        elif field == "manual":
            if isinstance(item, bool):
                out[field] = item
            elif isinstance(item, dict) and set(item) <= {"allowed", "permit_on_passed", "reason"}:
                out[field] = dict(item)
            else:
                raise FieldError("manual must be true, false or a mapping of allowed, permit_on_passed, reason")
        else:
            raise FieldError(f"unknown retry field {field!r} (automatic, manual)")
    return out


def soft_fail(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and value:
        for rule in value:
            if not isinstance(rule, dict) or set(rule) != {"exit_status"}:
                raise FieldError("must be true, false or a list of {exit_status: N}")
            status = rule["exit_status"]
            if status != "*" and not _is_status(status):
                raise FieldError(
                    f"exit_status must be a whole number from -{MAX_EXIT_STATUS} to {MAX_EXIT_STATUS} or '*'"
                )
        return [dict(rule) for rule in value]
    raise FieldError(f"must be true, false or a list of {{exit_status: N}}, not {kind_of(value)}")


def never_matches(prefix: str) -> Optional[str]:
    """Why a source_file_dependencies entry matches no path git lists, if it cannot."""
    pattern = prefix[1:] if prefix.startswith("!") else prefix
    if pattern != pattern.strip():
        return "it begins or ends with white space"
    if pattern.startswith("/"):
        return "changed files are relative to the repository root"
    if pattern.startswith("./") or ".." in pattern.split("/"):
        return "changed files are written without ./ and .. parts"
    return None


def outside_checkout(path: str) -> bool:
    """Whether an artifact path may name a file outside the job's checkout (absolute, `~`, or with `..`)."""
    text = path.strip().replace("\\", "/")
    return not text or text.startswith(("/", "~")) or ".." in text.split("/")


def checkout_artifacts(value: Any) -> tuple[Any, tuple[str, ...]]:
    """artifact_paths (a string, a list, or None) split: (what lies inside the checkout, as given or None; the paths outside)."""
    paths = [value] if isinstance(value, str) else list(value or ())
    kept = [p for p in paths if not outside_checkout(p)]
    dropped = tuple(p for p in paths if outside_checkout(p))
    if not kept:
        return None, dropped
    return (kept[0] if isinstance(value, str) else kept), dropped


def string_or_strings(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return list(strings(value))


def flag_or_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return text(value)


def as_given(value: Any) -> Any:
    """Written to the step as it is; Buildkite's pipeline schema checks it."""
    return value


# `concurrency`: Buildkite's bound of jobs at once.
concurrency = at_most(MAX_PARALLELISM, "jobs at once")


# Mirror lines of `mirror_hardwares` that name the same hardware family.
MIRROR_LINE_FAMILIES = {"amd": "amd", "amdexperimental": "amd", "amdproduction": "amd"}
# Mirrors of the current layout's `mirror:` block that the generator does not run.
IGNORED_MIRRORS = {"torch_nightly"}
