"""vLLM's CI conventions, as its generator and its step files of 2024 to 2026 have them.

A change of vLLM's conventions is a change here; the generator reads them
from this profile only.
"""

from __future__ import annotations

from constructs_lib.bootstrap.profile import ContainerSetup, HardwareTest, Images, MirrorRecipe, Profile

# The image of the AMD mirrors, as vLLM's template names it (its tag is resolved by the generator).
AMD_IMAGE = "rocm/vllm-ci:$BUILDKITE_COMMIT"

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
    mirror_recipes={
        "amd": MirrorRecipe(
            title="AMD",
            device="amd_cpu",
            build_commands=(
                "docker build --build-arg max_jobs=16 --build-arg REMOTE_VLLM=1 "
                "--build-arg ARG_PYTORCH_ROCM_ARCH='gfx90a;gfx942' --build-arg VLLM_BRANCH=$BUILDKITE_COMMIT "
                f"--tag {AMD_IMAGE} -f {{rocm-dockerfile}} --target test --no-cache --progress plain .",
                f"docker push {AMD_IMAGE}",
            ),
            wrapper="bash {amd-test}",
        ),
    },
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
