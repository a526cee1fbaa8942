"""Queue constructs stand in a scope of their own, and keep the Terraform addresses they had."""

from __future__ import annotations

import pytest
from cdktf import App, TerraformStack, TerraformVariable
from constructs import Construct

from constructs_lib.infra.stacks.queue_scope import earlier_components, logical_id
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import resources, synth_stacks

PATHS = [
    ["gpu_1_queue-stack-id"],
    ["gpu_1_queue", "stack"],
    ["a", "ab", "b"],  # a component that ends the previous one is left out of the readable part
    ["x", "Default", "y"],
    ["x", "Resource", "y"],
    ["weird.name", "with spaces", "and/slash".replace("/", "-")],
    ["n" * 300],
    ["n" * 150, "m" * 150],
]


@pytest.mark.parametrize("components", PATHS, ids=lambda c: "/".join(c)[:40])
def test_logical_ids_are_cdktfs_own(tmp_path, components):
    stack = TerraformStack(App(outdir=str(tmp_path)), "stack")
    scope: Construct = stack
    for part in components[:-1]:
        scope = Construct(scope, part)
    element = TerraformVariable(scope, components[-1])
    assert logical_id(components) == element.friendly_unique_id


def test_earlier_components_of_a_queue_scope():
    assert earlier_components(["queue-gpu_1_queue", "main", "stack"]) == ["gpu_1_queue", "stack"]
    assert earlier_components(["queue-gpu_1_queue", "access", "policy"]) == ["gpu_1_queue-access", "policy"]
    assert earlier_components(["queue-gpu_1_queue", "stack-id"]) == ["gpu_1_queue-stack-id"]
    assert earlier_components(["network", "vpc"]) == ["network", "vpc"]


def test_queue_names_like_fixed_ids_or_object_members_synthesize(tmp_path):
    """Fixed construct ids of the stacks and members of a JavaScript object are valid queue names."""
    text = (REPO / "examples" / "queues-vllm-2024.yaml").read_text()
    renames = {
        "  bootstrap:\n": "network",
        "  small_cpu_queue:\n": "constructor",
        "  cpu_queue:\n": "toString",
        "  cpu_queue_untrusted:\n": "host-scripts",
        "  gpu_1_queue:\n": "secrets",
        "  gpu_4_queue:\n": "build-cache",
        "  tpu:\n    description": "agents",
    }
    for old, new in renames.items():
        assert old in text
        text = text.replace(old, old.replace(old.strip().split(":")[0], new), 1)
    stacks = synth_stacks(text, tmp_path)
    names = {r["name"] for r in resources(stacks["aws-us-west-2"], "aws_cloudformation_stack").values()}
    assert names == {"bk-network", "bk-constructor", "bk-toString", "bk-host-scripts", "bk-secrets", "bk-build-cache"}
    outputs = stacks["aws-us-west-2"]["output"]
    assert {
        "network-stack-id",
        "constructor-stack-id",
        "toString-stack-id",
        "secrets-stack-id",
        "build-cache-stack-id",
    } <= set(outputs)
    assert "agents-tpus" in stacks["gcp-tpu"]["output"]
    # The fixed constructs are still there, beside the queues named like them.
    assert resources(stacks["aws-us-west-2"], "aws_vpc") and resources(stacks["aws-us-west-2"], "aws_kms_key")
    assert resources(stacks["aws-us-west-2"], "aws_s3_object")
