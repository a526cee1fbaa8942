"""Which GCP stacks the app composes, and which provider bindings that costs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from scripts import synth_process
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES
from tests.constructs_lib.queues.minimal_queues import MINIMAL

PROBE = textwrap.dedent(
    """
    import sys
    from constructs_lib.infra.app import build
    from constructs_lib.queues.loader import parse_queues
    model = parse_queues(sys.stdin.buffer.read(), "queues.yaml")
    app = build(model, sys.argv[1])
    print(",".join(sorted(c.node.id for c in app.node.children)))
    print(",".join(sorted(m for m in ("cdktf_cdktf_provider_aws", "cdktf_cdktf_provider_google") if m in sys.modules)))
    """
)


def probe(text: str, tmp_path) -> tuple[list[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "out")],
        input=text.encode(),
        cwd=REPO,
        env=synth_process.environment(),
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode()
    stacks, bindings = result.stdout.decode().splitlines()
    return stacks.split(",") if stacks else [], bindings.split(",") if bindings else []


def test_no_gcp_declared_imports_no_google_binding(tmp_path):
    stacks, bindings = probe(MINIMAL, tmp_path)
    assert stacks == ["aws-state", "aws-us-west-2"]
    assert bindings == ["cdktf_cdktf_provider_aws"]


def test_gcp_only_file_imports_no_aws_binding(tmp_path):
    stacks, bindings = probe(ALL_FEATURES.read_text(), tmp_path)
    assert stacks == ["gcp-gke", "gcp-state", "gcp-tpu"]
    assert bindings == ["cdktf_cdktf_provider_google"]


def test_gcp_section_with_nothing_to_host_gives_no_stack(tmp_path):
    text = ALL_FEATURES.read_text().replace("    enabled: true\n", "    enabled: false\n")
    start, end = text.index("  tpu:\n    accelerator"), text.index("  a100-queue:\n")
    stacks, bindings = probe(text[:start] + text[end:], tmp_path)
    assert stacks == []
    assert bindings == []


def test_default_file_has_the_tpu_stacks_but_no_gke(tmp_path):
    stacks, _ = probe((REPO / "queues.yaml").read_text(), tmp_path)
    assert {"gcp-state", "gcp-tpu"} <= set(stacks)
    assert "gcp-gke" not in stacks
