"""Stack parameters derived from the queue model, before any cdktf."""

from __future__ import annotations

from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues.loader import parse_queues
from tests.constructs_lib.queues.minimal_queues import MINIMAL


def model(text: str = MINIMAL):
    return parse_queues(text.encode(), "queues.yaml")


def test_stack_names_are_cloudformation_safe():
    assert ecp.stack_name("gpu_1_queue") == "bk-gpu-1-queue"
    assert ecp.stack_name("a100-queue") == "bk-a100-queue"
    assert ecp.stack_name("v1.2") == "bk-v1-2"


def test_builtin_safe_defaults_apply_when_nothing_is_said():
    m = model()
    params = ecp.parameters(m, "cpu_queue", m.queues["cpu_queue"].aws)
    assert params["IMDSv2Tokens"] == "required"
    assert params["RootVolumeEncrypted"] == "true"
    assert params["EnableDockerUserNamespaceRemap"] == "false"
    assert params["BuildkiteTerminateInstanceAfterJob"] == "true"
    assert params["ECRAccessPolicy"] == "readonly"


def test_queue_beats_shared_defaults_beats_builtin():
    text = MINIMAL.replace(
        "  networks:\n", "  queue_defaults:\n    root_volume_size: 300\n    root_volume_encrypted: false\n  networks:\n"
    ).replace("      max_size: 4\n", "      max_size: 4\n      root_volume_size: 100\n")
    m = model(text)
    cpu = ecp.parameters(m, "cpu_queue", m.queues["cpu_queue"].aws)
    gpu = ecp.parameters(m, "gpu_4_queue", m.queues["gpu_4_queue"].aws)
    assert (cpu["RootVolumeSize"], gpu["RootVolumeSize"]) == ("100", "300")
    assert cpu["RootVolumeEncrypted"] == gpu["RootVolumeEncrypted"] == "false"


def test_every_value_is_a_string_and_order_is_stable():
    m = model()
    params = ecp.parameters(m, "gpu_4_queue", m.queues["gpu_4_queue"].aws)
    assert all(isinstance(v, str) for v in params.values())
    assert list(params) == sorted(params)
    assert params["MinSize"] == "1" and params["MaxSize"] == "8"
