"""The build controls vLLM's generator reads from the environment, read as it reads them.

The command line takes them as flag defaults; each reader turns one value into
what the generator's Options hold, or a LoadError with one problem line. Pure.
"""

from __future__ import annotations

import json
import re
from typing import Optional

from constructs_lib.queues.problems import LoadError, Problem

ONLY_KEYS_ENV = "VLLM_CI_ONLY_STEP_KEYS"
HIGH_PRIORITY = 1  # PRIORITY=HIGH: ahead of every job of priority 0, Buildkite's default
_STEP_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def only_keys(value: Optional[str]) -> Optional[frozenset[str]]:
    """VLLM_CI_ONLY_STEP_KEYS as vLLM's generator reads it: a non-empty JSON array of distinct step keys."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError):  # nested past Python's limit: not a list of keys either
        parsed = None
    if not isinstance(parsed, list) or not parsed or not all(isinstance(k, str) and _STEP_KEY.match(k) for k in parsed):
        raise LoadError(
            [Problem(ONLY_KEYS_ENV, 0, "", 'must be a non-empty JSON array of step keys, like ["a-key", "b-key"]')]
        )
    if len(set(parsed)) != len(parsed):
        raise LoadError([Problem(ONLY_KEYS_ENV, 0, "", "names a step key twice")])
    return frozenset(parsed)


def priority(value: Optional[str]) -> Optional[int]:
    if value is None or value == "":
        return None
    if value.upper() == "HIGH":
        return HIGH_PRIORITY
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not -1000 <= number <= 1000:
        raise LoadError([Problem("PRIORITY", 0, "", f"{value!r} is not HIGH or a whole number from -1000 to 1000")])
    return number
