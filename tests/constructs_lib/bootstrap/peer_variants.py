"""Variants of the shared 2026-06 tree, one for each class of step that tree lacks, and the scenarios they run in.

A variant is the shared tree (../shared/fixtures/vllm-repo-2026-06, read from
there, never copied) with a few edits: an anchor of one of its files and what
replaces it, or a job file of its own. vLLM's generator of the tree's era
(ci-infra 3e4cfe4, August 2026, the generator of the shared peer fixture) was
run on each variant in each of its scenarios by `make_peer_oracles.py`, the
way the fixture's SOURCE.md describes; what it decided for each step
(`peer.fields`) is kept in `peer_oracles/<variant>/<scenario>.json`, and
`test_peer_variants.py` holds the bootstrap to it.

The classes: AMD native jobs (`dind: false` on a mirror and on a step of an
AMD device, with agent tags), AMD docker-in-docker steps of their own, the
ROCm base refresh, Intel GPU steps with `agent_tags`, and a plain `b200`
device. The shared tree itself has the single-command multi-node form.
"""

from __future__ import annotations

import dataclasses
import pathlib
import shutil
from typing import Optional

from . import peer


@dataclasses.dataclass(frozen=True)
class Edit:
    file: str  # under .buildkite/
    anchor: Optional[str]  # text the file has once; None: a new file
    text: str  # what replaces the anchor (or the new file)


AMD_ONLY = """\
group: Hardware - AMD Only
depends_on:
  - image-build-amd
steps:
  - label: ROCm Kernels (native)
    key: rocm-kernels-native
    device: mi325_2
    dind: false
    timeout_in_minutes: 240
    source_file_dependencies:
      - csrc/rocm/
      - tests/kernels/
    commands:
      - pytest -v -s kernels/attention/test_rocm_attention.py

  - label: ROCm Samplers
    key: rocm-samplers
    device: mi300_1
    timeout_in_minutes: 60
    source_file_dependencies:
      - vllm/v1/sample/
    commands:
      - pytest -v -s samplers

  - label: ROCm Distributed (native, tagged)
    key: rocm-distributed-native
    device: mi355_8
    dind: false
    agent_tags:
      rack: r7
    optional: true
    source_file_dependencies:
      - vllm/distributed/
    commands:
      - pytest -v -s distributed/test_comm_ops.py
"""

REFRESH = """\
  - label: "AMD: :docker: refresh ROCm base"
    key: refresh-rocm-base-amd
    depends_on: []
    device: amd_cpu
    no_plugin: true
    commands:
      - bash .buildkite/scripts/ci-bake-rocm.sh refresh-rocm-base
  - label: "AMD: :docker: ensure ci_base"
"""

XPU = """\
  - label: "Intel GPU Test"
    key: intel-gpu-test
    soft_fail: true
    device: intel_gpu
    no_plugin: true
    agent_tags:
      label: production
      gpu: 2+
      mem: 24+
    commands:
      - bash .buildkite/scripts/hardware_ci/run-xpu-test.sh

  - label: "Intel HPU Test"
"""

B200 = """\
- label: V1 attention (B200, plain)
  key: v1-attention-b200-plain
  timeout_in_minutes: 30
  device: b200
  source_file_dependencies:
    - vllm/config/attention.py
  commands:
    - pytest -v -s v1/attention

- label: V1 attention (B200)
"""

VARIANTS: dict[str, tuple[Edit, ...]] = {
    "amd-native": (
        # A mirror that runs natively, with agent tags; another natively without.
        Edit(
            "test_areas/engine.yaml",
            "    amd:\n      device: mi325_1\n      timeout_in_minutes: 40\n",
            "    amd:\n      device: mi325_1\n      dind: false\n      agent_tags:\n        pool: native\n"
            "      timeout_in_minutes: 40\n",
        ),
        Edit(
            "test_areas/engine.yaml",
            "    amd:\n      device: mi250_1\n      timeout_in_minutes: 60\n",
            "    amd:\n      device: mi250_1\n      dind: false\n      timeout_in_minutes: 60\n",
        ),
        Edit("hardware_tests/amd_only.yaml", None, AMD_ONLY),
        Edit("hardware_tests/amd.yaml", '  - label: "AMD: :docker: ensure ci_base"\n', REFRESH),
    ),
    "tags-and-devices": (
        Edit("hardware_tests/intel.yaml", '  - label: "Intel HPU Test"\n', XPU),
        Edit("test_areas/attention.yaml", "- label: V1 attention (B200)\n", B200),
    ),
    # One step the bootstrap cannot read (vLLM's generator stops on it: no oracle); the rest must not notice.
    "bad-step": (
        Edit(
            "test_areas/engine.yaml",
            "- label: Engine\n  key: engine\n  timeout_in_minutes: 15\n",
            "- label: Engine\n  key: engine\n  timeout_in_minutes: fifteen\n",
        ),
    ),
}


@dataclasses.dataclass(frozen=True)
class Scenario:
    branch: str
    changed: tuple[str, ...]
    run_all: bool = False


SCENARIOS: dict[str, Scenario] = {
    "main_runall": Scenario("main", ("vllm/__init__.py",), run_all=True),
    "amd_wrapper": Scenario("feature-amd", (".buildkite/scripts/hardware_ci/run-amd-test.sh",)),
    "rocm_base": Scenario("feature-rocm", ("docker/Dockerfile.rocm_base",)),
    "rocm_kernels": Scenario("feature-kernels", ("csrc/rocm/attention.cu", "tests/kernels/test_rocm.py")),
    "samplers": Scenario("feature-sampler", ("vllm/v1/sample/sampler.py",)),
    "attention": Scenario("feature-attn", ("vllm/config/attention.py",)),
}

# The scenarios each variant is compared in.
RUNS: dict[str, tuple[str, ...]] = {
    "amd-native": ("main_runall", "amd_wrapper", "rocm_base", "rocm_kernels", "samplers"),
    "tags-and-devices": ("main_runall", "attention"),
}

ORACLES = pathlib.Path(__file__).parent / "peer_oracles"


def build(variant: str, root: pathlib.Path) -> pathlib.Path:
    """The variant's tree under `root` (`root/.buildkite`); the path of its ci_config.yaml."""
    target = root / ".buildkite"
    shutil.copytree(peer.tree().parent, target)
    for edit in VARIANTS[variant]:
        path = target / edit.file
        if edit.anchor is None:
            path.write_text(edit.text, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        if text.count(edit.anchor) != 1:
            raise AssertionError(f"{edit.file}: the anchor is not there once: {edit.anchor!r}")
        path.write_text(text.replace(edit.anchor, edit.text), encoding="utf-8")
    return target / "ci_config.yaml"


def oracle_path(variant: str, scenario: str) -> pathlib.Path:
    return ORACLES / variant / f"{scenario}.json"
