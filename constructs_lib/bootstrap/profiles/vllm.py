"""vLLM's CI conventions, as its generator and its step files of 2024 to 2026 have them.

A change of vLLM's conventions is a change here; the generator reads them
from this profile only.
"""

from __future__ import annotations

import dataclasses

from constructs_lib.bootstrap.profile import (
    ContainerSetup,
    HardwareTest,
    Images,
    KeyedStep,
    MirrorRecipe,
    NativeRecipe,
    Profile,
    Switched,
)

# The image of the AMD mirrors, as vLLM's template names it (its tag is resolved by the generator).
AMD_IMAGE = "rocm/vllm-ci:$BUILDKITE_COMMIT"

# AMD's jobs as vLLM's generator writes them (ci-infra `amd.py`, August 2026): the wrapper reads the commands
# from VLLM_TEST_COMMANDS and installs the build's ROCm artifact; docker-in-docker jobs start from the stable
# CI base image, native ones run in the build's own base image as a pod of AMD's Kubernetes agents.
AMD_ARTIFACT_GLOB = "artifacts/vllm-rocm-install/vllm-rocm-install.tar.gz"
AMD_RESULTS_ROOT = "/home/buildkite-agent/huggingface/amd-ci-results"
AMD_DIAGNOSTICS_DIR = "artifacts/amd-gpu-diagnostics"
AMD_STABLE_BASE = "rocm/vllm-dev:ci_base"
ROCM_DEBUG_AGENT = "/opt/rocm/lib/librocm-debug-agent.so.2"
AMD_NATIVE_BASE = "rocm/vllm-dev:ci_base-build-$BUILDKITE_BUILD_ID"
AMD_NATIVE_RUNTIME = {
    "AMD_CI_RUNTIME": "native",
    "NATIVE_CI": "true",
    "VLLM_CI_DOCKER_DISABLED": "1",
}
# Retries of AMD's test jobs: stack errors, lost and refused agents, and the exits of a GPU that hangs
# (ROCm aborts the process: 134) or of a wrapper that loses its image (1, 128).
AMD_RETRY = (
    {"signal_reason": "stack_error", "limit": 1},
    {"exit_status": -1, "limit": 1},
    {"exit_status": 1, "limit": 1},
    {"exit_status": 128, "limit": 1},
    {"exit_status": 134, "limit": 1},
    {"signal_reason": "agent_stop", "limit": 1},
    {"signal_reason": "agent_refused", "limit": 1},
)

AMD_2024 = MirrorRecipe(
    title="AMD",
    device="amd_cpu",
    build_commands=(
        "docker build --build-arg max_jobs=16 --build-arg REMOTE_VLLM=1 "
        "--build-arg ARG_PYTORCH_ROCM_ARCH='gfx90a;gfx942' --build-arg VLLM_BRANCH=$BUILDKITE_COMMIT "
        f"--tag {AMD_IMAGE} -f {{rocm-dockerfile}} --target test --no-cache --progress plain .",
        f"docker push {AMD_IMAGE}",
    ),
    wrapper="bash {amd-test}",
)

# The current layout's AMD jobs, as vLLM's generator of August 2026 writes them.
AMD = dataclasses.replace(
    AMD_2024,
    devices=r"mi\d+[a-z]*_\d+",  # any Instinct GPU and count (vLLM's list of 2026: mi250, mi300, mi325, mi355 x 1-8)
    label="{title}: {label} ({device})",
    commands_variable="VLLM_TEST_COMMANDS",
    group_name_variable="VLLM_TEST_GROUP_NAME",
    setup=(
        'echo "--- :amd: GPU Info"',
        "(command amd-smi || true)",
        'echo "--- :gear: ROCm Debug Agent Setup"',
    ),
    # VLLM_CI_ENABLE_ROCM_DEBUG_AGENT=1 where the pipeline is generated: the ROCm debug agent writes coredumps.
    setup_switched=Switched(
        variable="VLLM_CI_ENABLE_ROCM_DEBUG_AGENT",
        on=(
            f"if test -f {ROCM_DEBUG_AGENT}; then export HSA_TOOLS_LIB={ROCM_DEBUG_AGENT} && export HSA_ENABLE_DEBUG=1 "
            f"&& echo ROCm debug agent enabled: {ROCM_DEBUG_AGENT}; else echo 'WARNING: ROCm debug agent not found "
            f"at {ROCM_DEBUG_AGENT}; skipping coredump setup'; fi",
        ),
        off=(
            "echo 'ROCm debug agent disabled; set VLLM_CI_ENABLE_ROCM_DEBUG_AGENT=1 at pipeline generation time "
            "to enable coredump setup'",
        ),
    ),
    env={
        "BUILDKITE_ARTIFACT_UPLOAD_SKIP_SYMLINKS": "true",
        "VLLM_CI_DIAGNOSTICS_DIR": AMD_DIAGNOSTICS_DIR,
        "VLLM_CI_USE_ARTIFACTS": "1",
        "VLLM_CI_ARTIFACT_GLOB": AMD_ARTIFACT_GLOB,
        "VLLM_CI_RESULTS_ROOT": AMD_RESULTS_ROOT,
    },
    dind_env={
        "DOCKER_BUILDKIT": "1",
        "DOCKER_IMAGE_NAME": AMD_STABLE_BASE,
        "VLLM_CI_BASE_IMAGE": AMD_STABLE_BASE,
        "VLLM_CI_FALLBACK_IMAGE": "rocm/vllm-ci:build-$BUILDKITE_BUILD_ID",
    },
    gpu_count_variable="VLLM_CI_EXPECTED_GPU_COUNT",
    native=NativeRecipe(
        image=AMD_NATIVE_BASE,
        gpu_resource="amd.com/gpu",
        env={
            "VLLM_CI_BASE_IMAGE": AMD_NATIVE_BASE,
            "VLLM_CI_WORKSPACE": "/vllm-workspace",
            "VLLM_CI_REQUIRE_WORKSPACE_MOUNT": "1",
            **AMD_NATIVE_RUNTIME,
            "PYTORCH_ROCM_ARCH": "",
        },
        env_defaults={
            "VLLM_CI_ARTIFACT_STEP": "image-build-amd",
            "VLLM_CI_ARTIFACT_CHECKSUM_GLOB": f"{AMD_ARTIFACT_GLOB}.sha256",
            "VLLM_CI_REQUIRE_PERSISTENT_HF_CACHE": "1",
            "HF_HOME": "/home/buildkite-agent/huggingface",
            "HF_HUB_DOWNLOAD_TIMEOUT": "300",
            "HF_HUB_ETAG_TIMEOUT": "60",
        },
        env_dropped=("DOCKER_IMAGE_NAME", "DOCKER_BUILDKIT", "VLLM_CI_FALLBACK_IMAGE"),
        container_env={
            **AMD_NATIVE_RUNTIME,
            "VLLM_CI_WORKSPACE": "/vllm-workspace",
            "VLLM_CI_REQUIRE_WORKSPACE_MOUNT": "1",
            "PYTORCH_ROCM_ARCH": "",
        },
        field_env={
            "VLLM_CI_K8S_POD_NAME": "metadata.name",
            "VLLM_CI_K8S_NAMESPACE": "metadata.namespace",
            "VLLM_CI_K8S_NODE_NAME": "spec.nodeName",
        },
        workspace="/vllm-workspace",
        shm_size="16Gi",
        image_pull_secret="docker-config",
        runs_when_changed=("{amd-test}",),
    ),
    retry=AMD_RETRY,
    host_retry=({"signal_reason": "stack_error", "limit": 1},),
    priority=200,
    artifact_paths=(f"{AMD_DIAGNOSTICS_DIR}/*/diagnostics.log",),
    timeout_cap=180,
    runs_when_changed=("docker/Dockerfile.rocm_base",),
)


VLLM = Profile(
    name="vllm",
    images=Images(registry="public.ecr.aws/q9t5s3a7", main="vllm-ci-postmerge-repo", premerge="vllm-ci-test-repo"),
    working_dir="/vllm-workspace/tests",
    container_env={"VLLM_USAGE_SOURCE": "ci-test", "NCCL_CUMEM_HOST_ENABLE": "0"},
    # The scripts and Dockerfiles moved between vLLM's layouts (`.buildkite/run-amd-test.sh` in 2024 became
    # `.buildkite/scripts/hardware_ci/run-amd-test.sh`; `Dockerfile.rocm` became `docker/Dockerfile.rocm`).
    checkout_paths={
        "amd-test": (".buildkite/scripts/hardware_ci/run-amd-test.sh", ".buildkite/run-amd-test.sh"),
        "rocm-dockerfile": ("docker/Dockerfile.rocm", "Dockerfile.rocm"),
        "neuron-test": (".buildkite/scripts/hardware_ci/run-neuron-test.sh", ".buildkite/run-neuron-test.sh"),
        "intel-cpu-test": (".buildkite/scripts/hardware_ci/run-cpu-test.sh", ".buildkite/run-cpu-test.sh"),
        "intel-gpu-test": (".buildkite/scripts/hardware_ci/run-xpu-test.sh", ".buildkite/run-xpu-test.sh"),
        "ppc64le-test": (
            ".buildkite/scripts/hardware_ci/run-cpu-test-ppc64le.sh",
            ".buildkite/run-cpu-test-ppc64le.sh",
        ),
        "tpu-test": (
            ".buildkite/scripts/hardware_ci/run-tpu-v1-test.sh",
            ".buildkite/run-tpu-v1-test.sh",
            ".buildkite/run-tpu-test.sh",
        ),
        "multi-node": (".buildkite/scripts/run-multi-node-test.sh", ".buildkite/run-multi-node-test.sh"),
        "torch-nightly-dockerfile": ("docker/Dockerfile.nightly_torch",),
    },
    # The reference template's hardware steps, one per hardware line.
    hardware_tests=(
        HardwareTest("neuron", "Neuron Test", "neuron-test"),
        HardwareTest("intel-cpu", "Intel CPU Test", "intel-cpu-test"),
        HardwareTest("intel-gpu", "Intel GPU Test", "intel-gpu-test"),
        HardwareTest("ppc64le", "IBM Power(ppc64le) CPU Test", "ppc64le-test", optional=True),
        HardwareTest("tpu", "TPU V1 Test", "tpu-test", timeout=180),
    ),
    mirror_recipes={"amd": AMD},
    # The 2024 template passed an AMD mirror's commands to the wrapper as its argument, nothing more.
    single_file_mirror_recipes={"amd": AMD_2024},
    # The reference bootstrap's run-all prefixes for the single-file format.
    single_file_run_all=(
        ".buildkite/test-pipeline",
        "Dockerfile",
        "CMakeLists.txt",
        "requirements",
        "setup.py",
        "csrc/",
    ),
    run_all_label="ready-run-all-tests",
    # As vLLM's generator sets up its NVIDIA jobs (ci-infra buildkite_step.py, 2026): the GPU listing; on jobs of
    # several GPUs or nodes the NVLink topology, which tells a host with a degraded fabric from a regression;
    # and CUDA coredumps on exceptions, without the memory images.
    # The AMD base images always run (they are cheap when nothing changed); the ROCm base refresh builds from
    # scratch when its inputs change (9 hours), unless ROCM_BASE_REFRESH_SKIP=1 makes it a check (15 minutes).
    # Both push the ROCm base image every AMD job of every build starts from, on AMD's build hosts.
    keyed_steps={
        "ensure-ci-base-amd": KeyedStep(always_runs=True, writes_shared=True),
        "refresh-rocm-base-amd": KeyedStep(
            always_runs=True,
            writes_shared=True,
            timeout=540,
            timeout_when=("ROCM_BASE_REFRESH_SKIP", 15),
            env_from_bootstrap={"ROCM_BASE_REFRESH_SKIP": "0", "ROCM_BASE_REFRESH_FORCE": "0"},
        ),
    },
    # As vLLM's generator: each command opens a log section named by its first 80 characters.
    command_section="+++ :test_tube: Command ({n}/{total}): {preview}",
    container_setup=ContainerSetup(
        info=('echo "--- :nvidia: GPU Info"', "(command nvidia-smi || true)"),
        multi_gpu_info=('echo "--- :nvidia: GPU Topology"', "(command nvidia-smi topo -m || true)"),
        environment=(
            'echo "--- :gear: CUDA Coredump Setup"',
            "export CUDA_ENABLE_COREDUMP_ON_EXCEPTION=1 && export CUDA_COREDUMP_SHOW_PROGRESS=1 && export "
            'CUDA_COREDUMP_GENERATION_FLAGS="skip_nonrelocated_elf_images,skip_global_memory,skip_shared_memory,'
            'skip_local_memory,skip_constbank_memory"',
        ),
    ),
)
