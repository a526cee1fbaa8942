"""How jobs run on the queues of today's fleet: plugins, GPU exposure, images, and what containers may see."""

from __future__ import annotations

import json

import pytest

from constructs_lib.bootstrap.routing import Needs, Route, Unroutable, build_architecture, route
from constructs_lib.bootstrap.runners import DOCKER_PLUGIN, KUBERNETES_PLUGIN

from .helpers import default_queues, queues, run, step

STEPS = """\
steps:
- label: Slice
  device: h200_18gb
  commands: [pytest slice]
- label: Pods
  device: h100
  num_devices: 2
  commands: [pytest pods]
- label: Blackwell pods
  device: b200-k8s
  commands: [pytest b200]
- label: A100
  device: a100
  num_gpus: 4
  commands: [pytest a100]
- label: L4
  commands: [pytest l4]
- label: Small CPU
  device: cpu-small
  commands: [pytest cpu]
"""
PULL_THROUGH = "936637512419.dkr.ecr.us-west-2.amazonaws.com/vllm-ci-pull-through-cache/q9t5s3a7/"


def plugin_of(pipeline: dict, key: str) -> tuple[str, dict]:
    (plugin,) = step(pipeline, key)["plugins"]
    ((name, settings),) = plugin.items()
    return name, settings


def trusted(**options):
    return run(STEPS, default_queues(), branch="main", run_all=True, **options).pipeline


def test_a_mig_slice_gets_its_device_variables_and_the_control_device_not_all_gpus():
    name, settings = plugin_of(trusted(), "slice")
    assert name == DOCKER_PLUGIN and "gpus" not in settings
    assert {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"} <= set(settings["environment"])
    assert "/dev/nvidiactl:/dev/nvidiactl" in settings["volumes"]
    assert "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:False" in settings["environment"]
    assert settings["image"].startswith(PULL_THROUGH)  # through the pull-through cache


def test_whole_gpus_on_docker_queues_and_the_hf_cache_of_the_queue():
    name, settings = plugin_of(trusted(), "l4")
    assert step(trusted(), "l4")["agents"]["queue"] == "gpu_1_queue"
    assert name == DOCKER_PLUGIN and settings["gpus"] == "all"
    assert "HF_HOME=/fsx/hf_cache" in settings["environment"] and "/fsx/hf_cache:/fsx/hf_cache" in settings["volumes"]
    assert settings["image"].startswith("public.ecr.aws/")
    _, cpu = plugin_of(trusted(), "small-cpu")
    assert "gpus" not in cpu


def test_kubernetes_queues_get_pods_with_the_gpus_the_job_asks_for():
    pipeline = trusted()
    name, pods = plugin_of(pipeline, "pods")
    assert name == KUBERNETES_PLUGIN and step(pipeline, "pods")["agents"]["queue"] == "mithril-h100-pool"
    container = pods["podSpec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert {"name": "hf-cache", "mountPath": "/root/.cache/huggingface"} in container["volumeMounts"]
    assert {"name": "hf-cache", "hostPath": {"path": "/mnt/hf-cache", "type": "DirectoryOrCreate"}} in pods["podSpec"][
        "volumes"
    ]
    _, b200 = plugin_of(pipeline, "blackwell-pods")
    spec = b200["podSpec"]
    assert (spec["hostNetwork"], spec["dnsPolicy"], spec["runtimeClassName"]) == (
        True,
        "ClusterFirstWithHostNet",
        "nvidia",
    )
    assert spec["imagePullSecrets"] == [{"name": "k8s-ecr-login-renew-docker-secret"}]
    assert spec["containers"][0]["securityContext"] == {"capabilities": {"add": ["IPC_LOCK", "SYS_RESOURCE"]}}
    assert {v["name"] for v in spec["volumes"]} == {"devshm", "raid", "shared"}
    _, a100 = plugin_of(pipeline, "a100")
    assert a100["podSpec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    assert a100["podSpec"]["priorityClassName"] == "ci"
    assert a100["podSpec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 4


def test_a_fork_pr_gets_no_token_no_secret_and_no_propagated_environment():
    pipeline = run(STEPS, default_queues(), branch="feature", pull_request="7", untrusted=True, run_all=True).pipeline
    text = json.dumps(pipeline)
    for secret in (
        "HF_TOKEN",
        "CODECOV_TOKEN",
        "BUILDKITE_ANALYTICS_TOKEN",
        "RAY_COMPAT_SLACK_WEBHOOK_URL",
        "secretKeyRef",
    ):
        assert secret not in text
    assert "propagate-environment" not in text
    # Still the same queues and plugins.
    assert plugin_of(pipeline, "pods")[0] == KUBERNETES_PLUGIN and plugin_of(pipeline, "slice")[0] == DOCKER_PLUGIN


def test_a_trusted_build_passes_the_runner_secrets_and_hf_token_where_the_queue_needs_it():
    pipeline = trusted()
    _, l4 = plugin_of(pipeline, "l4")
    assert {"HF_TOKEN", "CODECOV_TOKEN", "BUILDKITE_ANALYTICS_TOKEN"} <= set(l4["environment"])
    _, pods = plugin_of(pipeline, "pods")
    env = {e["name"]: e for e in pods["podSpec"]["containers"][0]["env"]}
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hf-token-secret", "key": "token"}
    assert env["BUILDKITE_ANALYTICS_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    # A CPU-only step on the default branch runs on the postmerge CPU queue, which reads the HF token and keeps
    # the HF cache where vLLM's CPU steps have it; the release queue's builder does not read the token.
    cpu = run(
        "steps:\n- label: CPU\n  no_gpu: true\n  commands: [x]\n", default_queues(), branch="main", run_all=True
    ).pipeline
    assert step(cpu, "cpu")["agents"]["queue"] == "cpu_queue_postmerge_us_east_1"
    environment = plugin_of(cpu, "cpu")[1]["environment"]
    assert "HF_TOKEN" in environment and "HF_HOME=/fsx/hf_cache" in environment
    assert not default_queues().queues["cpu_queue_release"].aws.needs_hf_token


@pytest.mark.parametrize(
    "label, key, arch",
    [
        (":docker: Build arm64 image", "arm64-image-build", "arm64"),
        (":docker: Build CPU arm64 image", "cpu-arm64-image-build", "arm64"),
        (":docker: Build image", "image-build", "x86_64"),
        (":docker: build aarch64 wheel", None, "arm64"),
        (":docker: Build image for farm64s", None, "x86_64"),  # a word, not a part of one
    ],
)
def test_an_image_build_is_for_the_architecture_its_name_says(label, key, arch):
    assert build_architecture(label, key) == arch


@pytest.mark.parametrize(
    "architecture, build, queue",
    [
        ("x86_64", "premerge", "cpu_queue_premerge_us_east_1"),
        ("x86_64", "postmerge", "cpu_queue_postmerge_us_east_1"),
        ("arm64", "premerge", "arm64_cpu_queue_premerge"),
        ("arm64", "postmerge", "arm64_cpu_queue_postmerge"),
        ("arm64", "release", "arm64_cpu_queue_release"),
        ("x86_64", "untrusted", "cpu_queue_untrusted_us_east_1"),
        ("arm64", "untrusted", "arm64_cpu_queue_untrusted"),
    ],
)
def test_image_builds_go_to_a_builder_of_their_architecture_serving_the_build(architecture, build, queue):
    found = route(Needs("b", builder=True, architecture=architecture), default_queues(), build)
    assert isinstance(found, Route) and found.queue == queue


def test_a_queue_that_serves_other_builds_is_named_in_the_reason():
    model = queues("""\
        queues:
          l4: {accelerator: {type: l4, count: 1}, external: {}}
          nightly-h100: {accelerator: {type: h100, count: 8}, builds: [postmerge], external: {}}
        """)
    found = route(Needs("x", None, 1, device="h100"), model, "premerge")
    assert isinstance(found, Unroutable)
    assert "nightly-h100 could run it but serves postmerge builds, not premerge" in found.reason
    assert isinstance(route(Needs("x", None, 1, device="h100"), model, "postmerge"), Route)


@pytest.mark.parametrize(
    "device, queue",
    [
        ("intel_cpu", "intel-cpu"),  # a family of hosts without accelerators
        ("arm_cpu", "arm-cpu"),
        ("amd_cpu", "amd-cpu"),
        ("cpu-small", "small_cpu_queue_premerge"),  # a variant of the CPU family
        ("cpu-medium", "medium_cpu_queue_premerge"),
        ("b200-k8s", "b200-k8s"),  # a variant of the b200 family
        ("b200", "B200"),  # the family without a variant: the plain queue
        ("h200", "H200"),  # whole GPUs, not a slice
        ("h200_35gb", "h200_35gb"),
        ("mi300_2", "amd_mi300_2"),
        ("gh200", "gh200_queue"),
    ],
)
def test_todays_device_names_resolve_by_what_the_queues_offer(device, queue):
    found = route(Needs("x", None, 1, device=device), default_queues(), "premerge")
    assert isinstance(found, Route) and found.queue == queue


def test_a_container_step_on_an_arm64_queue_runs_the_arm64_image():
    pipeline = run(
        "steps:\n- label: Spark\n  device: dgx-spark\n  commands: [x]\n", default_queues(), branch="main", run_all=True
    ).pipeline
    assert step(pipeline, "spark")["agents"]["queue"] == "dgx-spark"
    assert plugin_of(pipeline, "spark")[1]["image"].endswith(":$BUILDKITE_COMMIT-arm64")


def test_a_queue_timeout_applies_to_jobs_that_set_none():
    model = queues("""\
        queues:
          l4: {accelerator: {type: l4, count: 1}, external: {}}
          slow: {accelerator: {type: mi300, count: 1}, routing: {general: false}, timeout_in_minutes: 180, external: {}}
        """)
    text = "steps:\n- label: Own\n  device: mi300\n  timeout_in_minutes: 20\n  commands: [x]\n- label: None\n  device: mi300\n  commands: [x]\n"
    pipeline = run(text, model, branch="main", run_all=True).pipeline
    assert step(pipeline, "own")["timeout_in_minutes"] == 20
    assert step(pipeline, "none")["timeout_in_minutes"] == 180


@pytest.mark.parametrize(
    "device, build, queue",
    [
        ("cpu-large", "premerge", "cpu_queue_premerge_us_east_1"),  # a variant no queue offers: a general CPU queue
        ("cpu-large", "postmerge", "cpu_queue_postmerge_us_east_1"),
        ("cpu_2", "premerge", "cpu_queue_premerge_us_east_1"),
        ("b200-nvl", "premerge", "B200"),  # likewise for an accelerator family
    ],
)
def test_a_variant_nobody_offers_goes_to_a_general_queue_of_the_family_never_the_bootstrap_queue(device, build, queue):
    found = route(Needs("x", None, 1, device=device), default_queues(), build)
    assert isinstance(found, Route) and found.queue == queue


def test_pod_volumes_with_the_same_last_path_part_get_names_of_their_own():
    model = queues("""\
        queues:
          l4: {accelerator: {type: l4, count: 1}, external: {}}
          pods:
            accelerator: {type: h100, count: 8}
            kubernetes: {}
            runner: {plugin: kubernetes, volumes: [/a/cache:/a, /b/cache:/b, /c/devshm:/c]}
        """)
    pipeline = run("steps:\n- label: P\n  device: h100\n  commands: [x]\n", model, branch="main", run_all=True).pipeline
    spec = plugin_of(pipeline, "p")[1]["podSpec"]
    names = [v["name"] for v in spec["volumes"]]
    assert names == ["devshm", "cache", "cache-2", "devshm-2"]
    assert [m["name"] for m in spec["containers"][0]["volumeMounts"]] == names


def test_the_built_in_defaults_are_valid_models():
    # Constructed without validation at start-up: held to the model here.
    from constructs_lib.bootstrap.runners import DEFAULT_DOCKER, DEFAULT_KUBERNETES
    from constructs_lib.queues.hostings.aws.parameters import BUILTIN_OPTIONS
    from constructs_lib.queues.model import AwsQueueOptions, Runner

    for default in (DEFAULT_DOCKER, DEFAULT_KUBERNETES):
        assert Runner.model_validate(default.model_dump()) == default
    assert AwsQueueOptions.model_validate(BUILTIN_OPTIONS.model_dump()) == BUILTIN_OPTIONS


def test_a_step_may_ask_for_the_agent_in_its_container_in_trusted_builds_only():
    """vLLM's `mount_buildkite_agent`, on a queue whose runner does not mount the agent."""
    fleet = queues("""\
        queues:
          gpus:
            accelerator: {type: l4, count: 1}
            external: {operator: a partner}
        """)
    text = "steps:\n- label: Bench\n  mount_buildkite_agent: true\n  commands: [pytest bench]\n"
    plain = text.replace("  mount_buildkite_agent: true\n", "")
    trusted = plugin_of(run(text, fleet, branch="main", run_all=True).pipeline, "bench")[1]
    assert trusted["mount-buildkite-agent"] is True
    assert "mount-buildkite-agent" not in plugin_of(run(plain, fleet, branch="main", run_all=True).pipeline, "bench")[1]
    fork = run(text, fleet, branch="f", pull_request="1", untrusted=True, run_all=True).pipeline
    assert plugin_of(fork, "bench")[1]["mount-buildkite-agent"] is False
