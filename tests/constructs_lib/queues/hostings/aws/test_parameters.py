"""Stack parameters derived from the queue model, before any cdktf."""

from __future__ import annotations

from constructs_lib.queues.hostings.aws import parameters as ecp
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


def test_scheduled_scaling_writes_the_stacks_schedule_and_nothing_without_it():
    text = MINIMAL.replace(
        "      max_size: 4\n",
        "      max_size: 4\n      scheduled_scaling: {up: '0 7 * * MON-FRI', up_min_size: 3, down: '0 19 * * MON-FRI', timezone: Europe/Berlin}\n",
        1,
    )
    m = model(text)
    params = ecp.parameters(m, "cpu_queue", m.queues["cpu_queue"].aws)
    assert {
        k: params[k]
        for k in (
            "EnableScheduledScaling",
            "ScaleUpSchedule",
            "ScaleUpMinSize",
            "ScaleDownSchedule",
            "ScaleDownMinSize",
            "ScheduleTimezone",
        )
    } == {
        "EnableScheduledScaling": "true",
        "ScaleUpSchedule": "0 7 * * MON-FRI",
        "ScaleUpMinSize": "3",
        "ScaleDownSchedule": "0 19 * * MON-FRI",
        "ScaleDownMinSize": "0",
        "ScheduleTimezone": "Europe/Berlin",
    }
    plain = model()
    assert not any("Schedul" in k for k in ecp.parameters(plain, "cpu_queue", plain.queues["cpu_queue"].aws))
