"""What a rule of queues.yaml yields, and the small checks several rules share.

A rule is a function of the whole model that yields `(key path, message)`;
the loader turns the path into a file and line. Pure: no model import.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Callable, Iterator

Path = tuple[Any, ...]
Finding = tuple[Path, str]
# A rule over the whole model (typed loosely here: this module imports no model).
Rule = Callable[[Any], Iterator[Finding]]


def min_max(path: tuple[Any, ...], low: int, high: int, low_key: str, high_key: str) -> Iterator[Finding]:
    if low > high:
        yield path + (high_key,), f"must be >= {low_key} ({high} < {low})"


def cidr(path: tuple[Any, ...], text: str | None) -> Iterator[Finding]:
    if text is None:
        return
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        yield path, f"invalid CIDR {text!r}: {err}"


def parse_cidr(text: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=True) if text is not None else None
    except ValueError:
        return None
