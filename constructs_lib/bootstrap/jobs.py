"""Expand a repository's test steps into the jobs of one build.

Besides the test steps themselves a build has: the image build the tests run
in, the mirror of a step on other hardware (the AMD mirror) with that
hardware's own image build, and (single-file format) the hardware tests of
every hardware line that queues.yaml declares. Each job gets its key, the
keys it waits for, its routing needs and how it runs. Pure.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Optional

from constructs_lib.queues.model import QueuesFile
from constructs_lib.queues.problems import LoadError, Problem

from constructs_lib.bootstrap import keys
from constructs_lib.bootstrap.formats import SINGLE_FILE, Source
from constructs_lib.bootstrap.routing import Needs
from constructs_lib.bootstrap.steps import Mirror, Origin, TestStep

# Roles: what a job is for. Selection and rendering treat each differently.
TEST, MIRROR, BUILD, HARDWARE = "test", "mirror", "build", "hardware"
# Runners: where the commands run.
CONTAINER = "container"  # in the CI image, through the queue's docker or kubernetes plugin
HOST = "host"  # on the agent itself (no_plugin, image builds, hardware scripts)
MULTI_NODE = "multi-node"  # several containers on one host through the repository's script

IMAGE_BUILD_KEY = "image-build"
BUILD_LABEL_PREFIX = ":docker:"


@dataclasses.dataclass(frozen=True)
class HardwareTest:
    """A hardware line's test step, added when a queue declares the line."""

    line: str
    label: str
    command: str
    optional: bool = False
    timeout: Optional[int] = None


# The reference template's hardware steps, one per hardware line.
HARDWARE_TESTS = (
    HardwareTest("neuron", "Neuron Test", "bash .buildkite/scripts/hardware_ci/run-neuron-test.sh"),
    HardwareTest("intel-cpu", "Intel CPU Test", "bash .buildkite/scripts/hardware_ci/run-cpu-test.sh"),
    HardwareTest("intel-gpu", "Intel GPU Test", "bash .buildkite/scripts/hardware_ci/run-xpu-test.sh"),
    HardwareTest("ppc64le", "IBM Power(ppc64le) CPU Test", "bash .buildkite/scripts/hardware_ci/run-cpu-test-ppc64le.sh", optional=True),
    HardwareTest("tpu", "TPU V1 Test", "bash .buildkite/scripts/hardware_ci/run-tpu-v1-test.sh", timeout=180),
)

AMD_IMAGE = "rocm/vllm-ci:$BUILDKITE_COMMIT"
# Commands are written as step files write them ($$ for the job's shell,
# $BUILDKITE_COMMIT resolved by the generator: interpolation.py). Until the
# bootstrap says which commit it builds (a local preview), the image tag keeps
# the variable's name.
COMMIT_VARIABLE = "$BUILDKITE_COMMIT"


@dataclasses.dataclass(frozen=True)
class Image:
    """The CI image of this build, tagged with the commit it is built from."""

    registry: str
    repository: str
    branch: str
    default_branch: bool
    commit: str = COMMIT_VARIABLE

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}:{self.commit}"

    @property
    def latest(self) -> Optional[str]:
        return f"{self.registry}/{self.repository}:latest" if self.default_branch else None

    def build_commands(self) -> tuple[str, ...]:
        """Build and push the image unless this commit's image exists already."""
        name = self.name
        commands = [
            f"if docker manifest inspect {name} >/dev/null 2>&1; then echo '{name} exists; not building it again'; exit 0; fi",
            "if [ -f docker/Dockerfile ]; then dockerfile=docker/Dockerfile; else dockerfile=Dockerfile; fi",
            'docker build --file "$$dockerfile" --build-arg max_jobs=16 --build-arg buildkite_commit=$BUILDKITE_COMMIT '
            f"--build-arg USE_SCCACHE=1 --tag {name} --target test --progress plain .",
            f"docker push {name}",
        ]
        if self.latest:
            commands += [f"docker tag {name} {self.latest}", f"docker push {self.latest}"]
        return tuple(commands)


@dataclasses.dataclass(frozen=True)
class MirrorFamily:
    """How a family of mirrors is labelled, built and run."""

    title: str
    device: Optional[str]  # device of its image build (falls back to the hardware line)
    build_commands: tuple[str, ...]
    wrapper: Optional[str]  # script that runs the commands in the family's image


MIRROR_FAMILIES = {
    "amd": MirrorFamily(
        title="AMD",
        device="amd_cpu",
        build_commands=(
            "docker build --build-arg max_jobs=16 --build-arg REMOTE_VLLM=1 "
            "--build-arg ARG_PYTORCH_ROCM_ARCH='gfx90a;gfx942' --build-arg VLLM_BRANCH=$BUILDKITE_COMMIT "
            f"--tag {AMD_IMAGE} -f docker/Dockerfile.rocm --target test --no-cache --progress plain .",
            f"docker push {AMD_IMAGE}",
        ),
        wrapper="bash .buildkite/scripts/hardware_ci/run-amd-test.sh",
    ),
}


@dataclasses.dataclass(frozen=True)
class Job:
    role: str
    step: TestStep  # the job's own step; synthesized for mirrors, builds and hardware tests
    key: str
    needs: Needs
    runner: str
    depends_on: tuple[str, ...] = ()
    group: Optional[str] = None
    parent: Optional[str] = None  # key of the step a mirror copies
    family: Optional[MirrorFamily] = None
    # Single-file steps without source_file_dependencies always run; the current
    # layout gives every step its job file as a dependency instead.
    always_without_dependencies: bool = True

    @property
    def label(self) -> str:
        return self.step.label


@dataclasses.dataclass(frozen=True)
class Expansion:
    jobs: tuple[Job, ...]
    warnings: tuple[Problem, ...]
    excluded: tuple[TestStep, ...]  # fast_check_only steps: not part of this pipeline


def expand(source: Source, model: QueuesFile, image: Image) -> Expansion:
    """All jobs of the build. LoadError names key collisions and unknown depends_on keys."""
    single = source.kind == SINGLE_FILE
    given = {s.key for s in source.steps if s.key}
    warnings: list[Problem] = []
    excluded = tuple(s for s in source.steps if s.fast_check_only)
    tests: list[Job] = []
    mirrors: list[Job] = []
    families: dict[str, Origin] = {}
    declared = {line for q in model.queues.values() for line in q.routing.hardware}
    undeclared: dict[tuple[str, str], int] = {}
    for step in source.steps:
        if step.fast_check_only:
            continue
        job = _test_job(step, source, model)
        tests.append(job)
        for mirror in step.mirrors:
            if mirror.device is None and mirror.hardware not in declared:
                undeclared.setdefault((step.origin.file, mirror.hardware), step.origin.line)
                continue
            mirrors.append(_mirror_job(job, mirror))
            families.setdefault(mirror.family, step.origin)
    for (file, line_name), line in undeclared.items():
        warnings.append(Problem(file, line, "", f"no queue declares hardware {line_name!r} (routing.hardware); its mirrors are left out"))
    builds = [_image_build(source, image)] if single and IMAGE_BUILD_KEY not in given else []
    # A family's image build opens the family's group, after the tests.
    family_builds = [
        _family_build(family, MIRROR_FAMILIES[family], origin)
        for family, origin in families.items()
        if family in MIRROR_FAMILIES and f"{IMAGE_BUILD_KEY}-{family}" not in given
    ]
    hardware = [_hardware_job(test, source) for test in HARDWARE_TESTS if single and test.line in declared]
    jobs = tuple(builds + tests + family_builds + mirrors + hardware)
    given_keys = [(job.key, job.label, job.step.origin) for job in jobs]
    # Block keys too: a step may wait behind one. Not for keys that collide already.
    counts = collections.Counter(job.key for job in jobs)
    block_keys = [(f"block-{job.key}", f"Run {job.label}", job.step.origin) for job in jobs if counts[job.key] == 1]
    problems = keys.collisions(given_keys + block_keys)
    for job in jobs:
        for wanted in job.depends_on:
            if wanted not in counts:
                problems.append(job.step.origin.problem(f"depends_on {wanted!r}: no step of the pipeline has that key", "depends_on"))
    if problems:
        raise LoadError(problems)
    return Expansion(jobs, tuple(warnings), excluded)


def needs_of(step: TestStep, model: QueuesFile, builder: bool = False) -> Needs:
    amount = (step.count or 1) * step.nodes  # num_nodes x GPUs share one host
    if builder:
        return Needs(step.label, builder=True)
    if step.cpu_only:
        return Needs(step.label, None, 0)
    if step.device is not None:
        return Needs(step.label, None, amount, device=step.device)
    return Needs(step.label, step.gpu or model.routing.default_gpu, amount)


def _test_job(step: TestStep, source: Source, model: QueuesFile) -> Job:
    single = source.kind == SINGLE_FILE
    key = step.key or keys.derive(step.label)
    builds_image = step.label.startswith(BUILD_LABEL_PREFIX)
    if step.no_plugin or builds_image:
        runner = HOST
    elif step.nodes >= 2:
        runner = MULTI_NODE
    else:
        runner = CONTAINER
    if single:
        depends = tuple(dict.fromkeys((step.depends_on or ()) + (IMAGE_BUILD_KEY,)))
    else:
        depends = step.depends_on or ()
    return Job(
        role=BUILD if key.startswith(IMAGE_BUILD_KEY) else TEST,
        step=step,
        key=key,
        needs=needs_of(step, model, builder=builds_image and step.device is None),
        runner=runner,
        depends_on=tuple(d for d in depends if d != key),
        group=step.group,
        always_without_dependencies=single,
    )


def _mirror_job(parent: Job, mirror: Mirror) -> Job:
    spec = MIRROR_FAMILIES.get(mirror.family)
    title = spec.title if spec else mirror.family
    step = parent.step
    dependencies = step.dependencies
    if mirror.dependencies:
        dependencies = tuple(dict.fromkeys(mirror.dependencies + (dependencies or ())))
    env = dict(step.env or {})
    env.update(mirror.env or {})
    own = dataclasses.replace(
        step,
        label=f"{title}: {step.label}",
        key=None,
        commands=mirror.commands if mirror.commands is not None else step.commands,
        node_commands=None,
        working_dir=mirror.working_dir or step.working_dir,
        dependencies=dependencies,
        optional=step.optional if mirror.optional is None else mirror.optional,
        soft_fail=step.soft_fail if mirror.soft_fail is None else mirror.soft_fail,
        timeout=mirror.timeout or step.timeout,
        device=mirror.device,
        count=mirror.count or (step.count or 1) * step.nodes,
        nodes=1,
        cpu_only=False,
        gpu=None,
        env=env or None,
        mirrors=(),
    )
    build = f"{IMAGE_BUILD_KEY}-{mirror.family}"
    depends = mirror.depends_on if mirror.depends_on is not None else ((build,) if spec else ())
    return Job(
        role=MIRROR,
        step=own,
        key=f"{mirror.family}-{parent.key}",
        needs=Needs(own.label, None, own.count or 0, device=mirror.device, hardware=mirror.hardware),
        runner=HOST,
        depends_on=depends,
        group=f"{title} Tests",
        parent=parent.key,
        family=spec,
        always_without_dependencies=parent.always_without_dependencies,
    )


def _image_build(source: Source, image: Image) -> Job:
    origin = Origin(source.file, 1, ())
    step = TestStep(origin, ":docker: build image", commands=image.build_commands(), timeout=600, env={"DOCKER_BUILDKIT": "1"})
    return Job(BUILD, step, IMAGE_BUILD_KEY, Needs(step.label, builder=True), HOST)


def _family_build(family: str, spec: MirrorFamily, origin: Origin) -> Job:
    step = TestStep(origin, f"{spec.title}: {BUILD_LABEL_PREFIX} build image", commands=spec.build_commands, env={"DOCKER_BUILDKIT": "1"})
    needs = Needs(step.label, None, 0, device=spec.device, hardware=family)
    return Job(BUILD, step, f"{IMAGE_BUILD_KEY}-{family}", needs, HOST, group=f"{spec.title} Tests", family=spec)


def _hardware_job(test: HardwareTest, source: Source) -> Job:
    origin = Origin(source.file, 1, ())
    step = TestStep(origin, test.label, commands=(test.command,), optional=test.optional, soft_fail=True, timeout=test.timeout)
    return Job(HARDWARE, step, f"hardware-{test.line}", Needs(step.label, hardware=test.line), HOST, group="Hardware Tests")
