"""AMD's jobs as vLLM's generator of August 2026 writes them, from the vLLM profile's AMD recipe.

Docker-in-docker jobs (the default) and native jobs (`dind: false`, on a
mirror or on a step of an AMD device), how each is selected, and the AMD
build hosts' retries and timeouts. Each control is asserted on its own.
"""

from __future__ import annotations

import dataclasses
import shlex

import pytest

from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.bootstrap.profiles.vllm import AMD, VLLM
from constructs_lib.queues.loader import parse_queues

from .helpers import REPO, default_queues, layout, step, unsectioned_text

CONFIG = """\
    job_dirs:
      - ".buildkite/test_areas"
      - ".buildkite/hardware_tests"
    registries: registry.example.com
    repositories:
      main: ci-main
      premerge: ci-premerge
"""

BUILDS = """\
    group: Builds
    steps:
      - label: ":docker: build image"
        key: image-build
        depends_on: []
        commands: [.buildkite/image_build/image_build.sh]
      - label: "AMD: :docker: refresh ROCm base"
        key: refresh-rocm-base-amd
        depends_on: []
        device: amd_cpu
        no_plugin: true
        commands: [bash .buildkite/scripts/ci-bake-rocm.sh refresh]
      - label: "AMD: :docker: build test image"
        key: image-build-amd
        depends_on: []
        device: amd_cpu
        no_plugin: true
        timeout_in_minutes: 400
        commands: [bash .buildkite/scripts/ci-bake-rocm.sh test]
"""

TESTS = """\
    group: Engine
    depends_on:
      - image-build
    steps:
    - label: Engine
      key: engine
      timeout_in_minutes: 30
      env: {HF_HOME: /mine}
      source_file_dependencies: [vllm/engine/]
      commands:
      - pytest -v -s engine/a.py
      - pytest -v -s engine/b.py
      mirror:
        amd:
          device: mi325_1
          timeout_in_minutes: 240
    - label: Engine Native
      key: engine-native
      source_file_dependencies: [vllm/engine/]
      commands: [pytest -v -s engine/c.py]
      mirror:
        amd:
          device: mi300_2
          dind: false
          agent_tags: {pool: native}
    - label: Engine Optional
      key: engine-optional
      optional: true
      source_file_dependencies: [vllm/engine/]
      commands: [pytest -v -s engine/d.py]
      mirror:
        amd:
          device: mi250_1
    - label: ROCm Kernels
      key: rocm-kernels
      device: mi325_1
      source_file_dependencies: [csrc/rocm/]
      commands: [pytest -v -s kernels/rocm.py]
    - label: ROCm Native Kernels
      key: rocm-native-kernels
      device: mi355_2
      dind: false
      source_file_dependencies: [csrc/rocm/]
      commands: [pytest -v -s kernels/native.py]
    - label: ROCm Native Nodes
      key: rocm-native-nodes
      device: mi355_2
      dind: false
      num_nodes: 2
      num_devices: 2
      source_file_dependencies: [csrc/rocm/]
      commands: [[pytest a], [pytest b]]
"""

WRAPPER = ".buildkite/scripts/hardware_ci/run-amd-test.sh"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("amd")
    config = layout(
        root,
        {
            ".buildkite/ci_config.yaml": CONFIG,
            ".buildkite/test_areas/engine.yaml": TESTS,
            ".buildkite/hardware_tests/builds.yaml": BUILDS,
            WRAPPER: "#!/bin/bash\n",
        },
    )
    return read_source(str(config))


def pipeline(tree, *changed: str, **options) -> dict:
    options.setdefault("branch", "feature")
    result = generate(tree, default_queues(), Options(changed_files=changed or ("vllm/engine/x.py",), **options))
    return result.pipeline


def test_a_docker_in_docker_mirror_hands_its_commands_to_the_wrapper_in_a_variable(tree):
    mirror = step(pipeline(tree), "amd-engine")
    assert mirror["label"] == "Engine (mi325_1)".join(("AMD: ", "")) and mirror["agents"] == {"queue": "amd_mi325_1"}
    assert mirror["commands"] == [f"bash {WRAPPER}"]  # nothing of the step in the command line
    env = mirror["env"]
    script = env["VLLM_TEST_COMMANDS"]
    assert script.startswith('cd /vllm-workspace/tests && echo "--- :amd: GPU Info" && (command amd-smi || true)')
    assert unsectioned_text(script).endswith("&& pytest -v -s engine/a.py && pytest -v -s engine/b.py")
    assert "echo '+++ :test_tube: Command (2/2): pytest -v -s engine/b.py'" in script
    assert env["DOCKER_IMAGE_NAME"] == "rocm/vllm-dev:ci_base" and env["VLLM_CI_EXPECTED_GPU_COUNT"] == "1"
    assert env["HF_HOME"] == "/mine"  # the step's own variables come first
    assert mirror["priority"] == 200
    assert mirror["artifact_paths"] == ["artifacts/amd-gpu-diagnostics/*/diagnostics.log"]
    assert mirror["timeout_in_minutes"] == 180  # its own 240, capped


def test_amd_jobs_retry_a_hung_gpu_and_stack_errors_but_never_a_refused_signature(tree):
    rules = step(pipeline(tree), "amd-engine")["retry"]["automatic"]
    assert {r.get("exit_status") for r in rules} >= {1, 128, 134, -1}
    assert {"signal_reason": "stack_error", "limit": 1} in rules
    assert {"exit_status": -1, "signal_reason": "none", "limit": 1} in rules
    assert not any(r.get("signal_reason") in ("signature_rejected", "*") for r in rules)


def test_a_native_mirror_runs_as_a_pod_of_the_builds_rocm_base_image(tree):
    native = step(pipeline(tree), "amd-engine-native")
    assert native["agents"] == {"queue": "amd_mi300_2", "pool": "native"}
    (plugin,) = native["plugins"]
    patch = plugin["kubernetes"]["podSpecPatch"]
    (container,) = patch["containers"]
    assert container["image"] == "rocm/vllm-dev:ci_base-build-$BUILDKITE_BUILD_ID"
    assert container["resources"] == {"limits": {"amd.com/gpu": "2"}, "requests": {"amd.com/gpu": "2"}}
    assert patch["automountServiceAccountToken"] is False
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"name": "VLLM_CI_K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}} in container[
        "env"
    ]
    assert {v["name"]: v.get("emptyDir") for v in patch["volumes"]}["devshm"] == {
        "medium": "Memory",
        "sizeLimit": "16Gi",
    }
    env = native["env"]
    assert env["AMD_CI_RUNTIME"] == "native" and env["VLLM_CI_BASE_IMAGE"] == container["image"]
    assert "DOCKER_IMAGE_NAME" not in env and env["HF_HOME"] == "/home/buildkite-agent/huggingface"
    assert native["commands"] == [f"bash {WRAPPER}"]


def test_a_step_of_an_amd_device_is_an_amd_job_after_the_amd_image(tree):
    kernels = step(pipeline(tree, "csrc/rocm/a.cu"), "rocm-kernels")
    assert kernels["label"] == "AMD: ROCm Kernels (mi325_1)" and kernels["agents"] == {"queue": "amd_mi325_1"}
    assert kernels["depends_on"] == ["image-build-amd"]  # the file's image-build is the AMD one for it
    assert kernels["env"]["VLLM_TEST_COMMANDS"].startswith("export VLLM_TEST_GROUP_NAME=rocm-kernels && cd ")
    assert "plugins" not in kernels and kernels["priority"] == 200
    native = step(pipeline(tree, "csrc/rocm/a.cu"), "rocm-native-kernels")
    assert native["plugins"][0]["kubernetes"]["podSpecPatch"]["containers"][0]["resources"]["limits"] == {
        "amd.com/gpu": "2"
    }


def test_a_native_step_of_several_nodes_fails_alone(tree):
    nodes = step(pipeline(tree, "csrc/rocm/a.cu"), "rocm-native-nodes")
    assert nodes["agents"]["queue"] == "bootstrap" and "num_nodes" in nodes["env"]["CI_FAILURE_REASON"]


def _runs(built: dict, key: str) -> bool:
    return not any(d.startswith("block-") for d in step(built, key).get("depends_on") or [])


def test_a_change_to_the_wrapper_runs_the_native_jobs_only(tree):
    built = pipeline(tree, WRAPPER)
    assert _runs(built, "amd-engine-native") and _runs(built, "rocm-native-kernels")
    assert not _runs(built, "amd-engine") and not _runs(built, "rocm-kernels")


def test_a_change_to_the_rocm_base_runs_every_mirror_optional_or_not(tree):
    built = pipeline(tree, "docker/Dockerfile.rocm_base")
    assert _runs(built, "amd-engine") and _runs(built, "amd-engine-optional")
    assert not _runs(built, "engine") and not _runs(built, "rocm-kernels")  # not the steps themselves
    assert not _runs(pipeline(tree, "docker/Dockerfile.rocm_base", noauto=True), "amd-engine")


def test_the_rocm_base_refresh_always_runs_with_its_long_timeout(tree):
    refresh = step(pipeline(tree, "README.rst"), "refresh-rocm-base-amd")
    assert refresh["timeout_in_minutes"] == 540 and _runs(pipeline(tree, "README.rst"), "refresh-rocm-base-amd")
    assert refresh["env"] == {"ROCM_BASE_REFRESH_SKIP": "0", "ROCM_BASE_REFRESH_FORCE": "0"}
    # A docs-only change runs nothing but the docs.
    assert not _runs(pipeline(tree, "docs/a.md"), "refresh-rocm-base-amd")


def test_a_skipped_refresh_gets_the_short_timeout_and_its_script_sees_why(tree):
    values = {"ROCM_BASE_REFRESH_SKIP": "1", "ROCM_BASE_REFRESH_FORCE": "x'$(id)"}
    refresh = step(pipeline(tree, "README.rst", profile_values=values), "refresh-rocm-base-amd")
    assert refresh["timeout_in_minutes"] == 15
    assert refresh["env"] == values  # data in the step's env, never in its commands
    assert not any("id)" in c for c in refresh["commands"])


def test_the_rocm_debug_agent_is_set_up_when_the_bootstrap_is_told_to(tree):
    off = step(pipeline(tree), "amd-engine")["env"]["VLLM_TEST_COMMANDS"]
    assert "ROCm debug agent disabled" in off and "HSA_TOOLS_LIB" not in off
    on = step(pipeline(tree, profile_values={"VLLM_CI_ENABLE_ROCM_DEBUG_AGENT": "1"}), "amd-engine")
    script = on["env"]["VLLM_TEST_COMMANDS"]
    assert "export HSA_TOOLS_LIB=/opt/rocm/lib/librocm-debug-agent.so.2 && export HSA_ENABLE_DEBUG=1" in script
    assert VLLM.bootstrap_variables == (
        "VLLM_CI_ENABLE_ROCM_DEBUG_AGENT",
        "ROCM_BASE_REFRESH_SKIP",
        "ROCM_BASE_REFRESH_FORCE",
    )


def test_the_amd_build_hosts_retry_stack_errors_and_cap_their_timeout(tree):
    build = step(pipeline(tree), "image-build-amd")
    assert build["retry"]["automatic"][0] == {"signal_reason": "stack_error", "limit": 1}
    assert build["timeout_in_minutes"] == 180  # its own 400, capped
    assert "priority" not in build  # not a test job


def test_without_the_commands_variable_the_wrapper_takes_them_as_its_argument(tree):
    """The 2024 form (the single-file layout's recipe): what a profile without the variable writes."""
    positional = dataclasses.replace(VLLM, mirror_recipes={"amd": dataclasses.replace(AMD, commands_variable=None)})
    source = dataclasses.replace(tree, profile=positional)
    mirror = step(
        generate(source, default_queues(), Options(changed_files=("vllm/engine/x.py",))).pipeline, "amd-engine"
    )
    words = shlex.split(mirror["commands"][0])
    assert words[:2] == ["bash", WRAPPER] and unsectioned_text(words[2]).endswith("pytest -v -s engine/b.py")
    assert "VLLM_TEST_COMMANDS" not in mirror.get("env", {})


def test_an_untrusted_builds_native_jobs_are_host_jobs_that_wait_unless_the_default_branch_defines_them(tree):
    """A native job runs the checkout's wrapper with the job's agent token in its pod: the host rules hold."""
    built = generate(
        tree,
        default_queues(),
        Options(changed_files=(WRAPPER,), branch="fork:feature", pull_request="7", untrusted=True),
    ).pipeline
    block = step(built, "block-amd-engine-native")
    assert "Untrusted build" in block["block"] and not _runs(built, "amd-engine-native")
    same = generate(
        tree,
        default_queues(),
        Options(
            changed_files=("vllm/engine/x.py",), branch="fork:f", pull_request="7", untrusted=True, base_source=tree
        ),
    ).pipeline
    assert _runs(same, "amd-engine-native")  # defined so at the merge base, its wrapper unchanged


MIRROR_OWN = """\
    group: Own
    steps:
    - label: Own
      key: own
      concurrency: 2
      concurrency_group: gpu-own
      source_file_dependencies: [vllm/]
      commands: [pytest own.py]
      mirror:
        amd:
          device: mi325_1
          no_gpu: true
          dind: false
          concurrency: 1
          concurrency_group: amd-own
"""


def test_a_mirror_has_its_own_gpu_need_and_concurrency(tmp_path):
    files = {".buildkite/ci_config.yaml": CONFIG, ".buildkite/test_areas/own.yaml": MIRROR_OWN}
    config = layout(tmp_path, {**files, ".buildkite/hardware_tests/builds.yaml": BUILDS})
    built = pipeline(read_source(str(config)))
    mirror, parent = step(built, "amd-own"), step(built, "own")
    assert (mirror["concurrency"], mirror["concurrency_group"]) == (1, "amd-own")
    assert (parent["concurrency"], parent["concurrency_group"]) == (2, "gpu-own")
    # No GPU: the wrapper expects none, and the pod requests none (an explicit 0 overrides the agents' default).
    assert mirror["env"]["VLLM_CI_EXPECTED_GPU_COUNT"] == "0"
    limits = mirror["plugins"][0]["kubernetes"]["podSpecPatch"]["containers"][0]["resources"]["limits"]
    assert limits == {"amd.com/gpu": "0"}


def test_a_native_job_fails_alone_on_a_queue_whose_agents_run_no_pods(tree):
    """A kubernetes podSpecPatch means nothing to an agent that starts no pods: the step says why, the rest runs."""
    text = (REPO / "queues.yaml").read_text(encoding="utf-8")
    line = "amd_mi300_2: {accelerator: {type: mi300, count: 2}, routing: {general: false}, timeout_in_minutes: 180, external: {operator: AMD, pods: true}}"
    assert line in text
    fleet = parse_queues(text.replace(line, line.replace(", pods: true", "")).encode(), "queues.yaml")
    result = generate(tree, fleet, Options(changed_files=("vllm/engine/x.py",), branch="feature"))
    (problem,) = [p for p in result.errors if "amd_mi300_2" in str(p)]
    assert "the agents of amd_mi300_2 run none" in str(problem) and "dind" in str(problem)
    failing = step(result.pipeline, "amd-engine-native")
    assert failing["agents"]["queue"] == "bootstrap" and "plugins" not in failing
    assert "plugins" in step(pipeline(tree), "amd-engine-native")  # on the default fleet it runs as a pod
    assert step(result.pipeline, "amd-engine")["agents"] == {"queue": "amd_mi325_1"}


def test_an_untrusted_build_never_runs_a_step_that_writes_the_shared_rocm_base_without_a_maintainer(tree):
    """ensure-ci-base-amd and the refresh push the ROCm base every AMD job starts from, built from files their
    commands do not name (docker/Dockerfile.rocm_base): defined so at the merge base or not, a fork's build waits."""
    for changed in (("docker/Dockerfile.rocm_base",), ("vllm/engine/x.py",)):
        fork = generate(
            tree,
            default_queues(),
            Options(changed_files=changed, branch="fork:f", pull_request="7", untrusted=True, base_source=tree),
        ).pipeline
        block = step(fork, "block-refresh-rocm-base-amd")
        assert block["block"].endswith("Untrusted build: it writes what trusted builds read")
        assert not _runs(fork, "refresh-rocm-base-amd")
    assert _runs(pipeline(tree, "vllm/engine/x.py"), "refresh-rocm-base-amd")  # a trusted build's runs


def test_an_untrusted_builds_host_job_waits_when_the_pr_changes_the_wrapper_it_runs(tree):
    """Defined so at the merge base, a native job still waits when the PR changes the wrapper (VLLM_TEST_COMMANDS
    hands the commands to it; its path is what the job runs)."""
    fork = generate(
        tree,
        default_queues(),
        Options(changed_files=(WRAPPER,), branch="fork:f", pull_request="7", untrusted=True, base_source=tree),
    ).pipeline
    assert step(fork, "block-amd-engine-native")["block"].endswith(f"the PR changes {WRAPPER}, which it runs")
    assert step(fork, "block-amd-engine")["block"].endswith(f"the PR changes {WRAPPER}, which it runs")


UNSEEN = """\
    group: Next
    steps:
    - label: Next GPU
      key: next-gpu
      device: mi400x_4
      dind: false
      source_file_dependencies: [vllm/]
      commands: [pytest next.py]
    - label: Big count
      key: big-count
      device: mi325_16
      source_file_dependencies: [vllm/]
      commands: [pytest big.py]
"""


def test_an_amd_device_vllm_has_not_listed_yet_is_an_amd_job(tmp_path):
    """A new Instinct model and a new count: AMD jobs where a queue offers them, a failing step where none does."""
    files = {".buildkite/ci_config.yaml": CONFIG, ".buildkite/test_areas/next.yaml": UNSEEN}
    source = read_source(str(layout(tmp_path, {**files, ".buildkite/hardware_tests/builds.yaml": BUILDS})))
    text = (REPO / "queues.yaml").read_text(encoding="utf-8")
    anchor = "  amd_mi250_1: "
    extra = "  amd_mi400x_4: {accelerator: {type: mi400x, count: 4}, routing: {general: false}, external: {operator: AMD, pods: true}}\n"
    fleet = parse_queues(text.replace(anchor, extra + anchor, 1).encode(), "queues.yaml")
    result = generate(source, fleet, Options(changed_files=("vllm/x.py",), branch="feature"))
    nxt = step(result.pipeline, "next-gpu")
    assert nxt["label"] == "AMD: Next GPU (mi400x_4)" and nxt["agents"] == {"queue": "amd_mi400x_4"}
    limits = nxt["plugins"][0]["kubernetes"]["podSpecPatch"]["containers"][0]["resources"]["limits"]
    assert limits == {"amd.com/gpu": "4"} and nxt["priority"] == 200
    big = step(result.pipeline, "big-count")  # no queue has 16 MI325s: it fails alone, never a CUDA container
    assert big["agents"]["queue"] == "bootstrap" and "plugins" not in big
