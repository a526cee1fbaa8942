"""Synthesize one construct in a bare stack (cdktf's Testing), for the tests of each construct."""

from __future__ import annotations

import json
from typing import Any, Callable

import cdktf

from constructs_lib.infra.jsii.providers import aws, google


def synth(build: Callable[[cdktf.TerraformStack], Any], provider: str = "aws") -> tuple[dict[str, Any], Any]:
    """The stack JSON of what `build` adds to a stack with the provider alone, and what `build` returned."""
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "test")
    if provider == "aws":
        aws.AwsProvider(stack, "aws", region="us-west-2")
    elif provider == "google":
        google.GoogleProvider(stack, "google", project="acme-ci-1234", region="us-central1")
    built = build(stack)
    return json.loads(cdktf.Testing.synth(stack)), built


def of_type(stack: dict[str, Any], kind: str, section: str = "resource") -> list[dict[str, Any]]:
    return list(stack.get(section, {}).get(kind, {}).values())
