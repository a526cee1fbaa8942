"""Synthesize stacks in-process with cdktf's Testing helpers."""

from __future__ import annotations

import json

from cdktf import TerraformStack, Testing

from constructs_lib.infra.app import build
from constructs_lib.queues.loader import parse_queues


def synth_stacks(text: str, tmp_path) -> dict[str, dict]:
    """Every stack of a queues.yaml text, as parsed JSON, by stack id."""
    model = parse_queues(text.encode(), "queues.yaml")
    app = build(model, str(tmp_path / "out"))
    stacks = [c for c in app.node.children if isinstance(c, TerraformStack)]
    return {s.node.id: json.loads(Testing.synth(s)) for s in stacks}


def resources(stack: dict, kind: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(kind, {})


def data_sources(stack: dict, kind: str) -> dict[str, dict]:
    return stack.get("data", {}).get(kind, {})
