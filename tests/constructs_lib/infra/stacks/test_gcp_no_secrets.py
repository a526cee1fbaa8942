"""Planted token values never reach a GCP output file, boot script or metadata."""

from __future__ import annotations

import json
import pathlib

import pytest

from constructs_lib.infra.app import synth
from constructs_lib.infra.gcp import startup_script
from constructs_lib.queues.loader import load_queues
from tests.conftest import PLANTED_SECRETS, REPO
from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES

PLANTED = {
    **PLANTED_SECRETS,
    "BUILDKITE_AGENT_TOKEN_GCP": "bkua_planted0gcp0agent0token0do0not0leak",
    "HUGGING_FACE_HUB_TOKEN": "hf_planted0hub0token0do0not0leak",
    "GOOGLE_CREDENTIALS": '{"private_key": "planted0google0credentials0do0not0leak"}',
}


def metadata_values(stack: dict) -> list[str]:
    out = []
    for kind in ("google_compute_instance", "google_tpu_v2_vm"):
        for resource in stack.get("resource", {}).get(kind, {}).values():
            out += [str(v) for v in resource.get("metadata", {}).values()]
    return out


@pytest.mark.parametrize("queues", [REPO / "queues.yaml", ALL_FEATURES], ids=["default", "all-gcp-features"])
def test_planted_tokens_appear_nowhere(queues: pathlib.Path, tmp_path, monkeypatch):
    for name, value in PLANTED.items():
        monkeypatch.setenv(name, value)
    outdir = tmp_path / "cdktf.out"
    synth(load_queues(queues), outdir)

    files = [p for p in outdir.rglob("*") if p.is_file()]
    stacks = {p.parent.name: json.loads(p.read_text()) for p in outdir.glob("stacks/*/cdk.tf.json")}
    assert "gcp-tpu" in stacks
    scripts = [v for s in stacks.values() for v in metadata_values(s)]
    assert len([v for v in scripts if v.startswith("#!/bin/bash")]) >= 5  # the boot scripts are among them
    templates = [p.read_text() for p in startup_script.TEMPLATE_DIR.glob("*.sh")]
    for value in PLANTED.values():
        for path in files:
            assert value.encode() not in path.read_bytes(), f"planted value leaked into {path.relative_to(outdir)}"
        for text in scripts + templates:
            assert value not in text
    # Nor does any boot script carry a token-shaped literal: they hold secret names only.
    for text in scripts:
        assert "bkua_" not in text and "hf_" not in text.replace("hf_token", "")
