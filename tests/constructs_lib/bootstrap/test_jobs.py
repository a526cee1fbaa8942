"""Expansion of test steps into a build's jobs: mirrors, image builds, hardware tests."""

from __future__ import annotations

from constructs_lib.bootstrap.jobs import Image, expand
from constructs_lib.bootstrap.profiles.vllm import VLLM

from .helpers import fleet_2024, single

IMAGE = Image("registry.example.com", "ci", "feature", False)


def jobs_of(text: str):
    return expand(single(text), fleet_2024(), IMAGE)


def test_one_mirror_per_family_however_many_lines_name_it():
    expansion = jobs_of("steps:\n- label: K\n  mirror_hardwares: [amdexperimental, amdproduction, amd]\n  command: k\n")
    mirrors = [job for job in expansion.jobs if job.role == "mirror"]
    assert [(job.key, job.needs.hardware) for job in mirrors] == [("amd-k", "amdexperimental")]


def test_mirror_needs_as_many_accelerators_as_the_step():
    expansion = jobs_of(
        "steps:\n- label: K\n  mirror_hardwares: [amd]\n  num_gpus: 2\n  num_nodes: 2\n  commands: [[a], [b]]\n"
    )
    (mirror,) = [job for job in expansion.jobs if job.role == "mirror"]
    assert mirror.needs.count == 4 and mirror.step.num_nodes == 1
    amd_gpus = jobs_of("steps:\n- label: K\n  mirror_hardwares: [amd]\n  amd_gpus: 8\n  command: k\n")
    assert [job.needs.count for job in amd_gpus.jobs if job.role == "mirror"] == [8]


def test_the_family_image_build_comes_once_and_after_the_tests():
    expansion = jobs_of(
        "steps:\n- label: A\n  mirror_hardwares: [amd]\n  command: a\n- label: B\n  mirror_hardwares: [amd]\n  command: b\n"
    )
    roles = [(job.role, job.key) for job in expansion.jobs if job.role in ("build", "test", "mirror")]
    assert roles == [
        ("build", "image-build"),
        ("test", "a"),
        ("test", "b"),
        ("build", "image-build-amd"),
        ("mirror", "amd-a"),
        ("mirror", "amd-b"),
    ]


def test_hardware_tests_for_declared_lines_only_and_keys_of_their_own():
    declared = {line for q in fleet_2024().queues.values() for line in q.routing.hardware}
    expansion = jobs_of("steps:\n- label: Neuron Test\n  command: x\n")
    hardware = {job.key for job in expansion.jobs if job.role == "hardware"}
    assert hardware == {f"hardware-{t.line}" for t in VLLM.hardware_tests if t.line in declared}
    assert "neuron-test" in {job.key for job in expansion.jobs}  # a step of the same label does not collide


def test_fast_check_only_steps_are_excluded():
    expansion = jobs_of("steps:\n- label: F\n  fast_check_only: true\n  mirror_hardwares: [amd]\n  command: f\n")
    assert [s.label for s in expansion.excluded] == ["F"]
    assert not any(job.label.endswith("F") for job in expansion.jobs)


def test_the_image_build_commands_use_the_image():
    (build,) = [job for job in jobs_of("steps:\n- label: A\n  command: a\n").jobs if job.key == "image-build"]
    assert build.needs.builder
    # The image's name reaches the shell as a variable of the step, never as text.
    assert 'docker push "$IMAGE_TAG"' in build.step.commands
    assert not any("registry.example.com" in c or "LATEST" in c for c in build.step.commands)
