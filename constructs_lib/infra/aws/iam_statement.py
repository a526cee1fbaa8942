"""The shape of an IAM policy statement as the pure access modules write it (registry_access, cache_access).

A TypedDict, so that mypy checks every key where a statement is written and
where CiAccessPolicy turns it into the provider's classes. Pure.
"""

from __future__ import annotations

from typing import TypedDict

from typing_extensions import NotRequired


class Condition(TypedDict):
    test: str
    variable: str
    values: list[str]


class Statement(TypedDict):
    sid: str
    actions: list[str]
    resources: list[str]
    condition: NotRequired[list[Condition]]
