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
import re
import shlex
from typing import Any, Mapping, Optional, Sequence

from constructs_lib.bootstrap import checkout_paths, image_build, keys
from constructs_lib.bootstrap.derived_steps import derive
from constructs_lib.bootstrap.formats import SINGLE_FILE, Source
from constructs_lib.bootstrap.profile import HardwareTest, MirrorRecipe
from constructs_lib.bootstrap.routing import Needs, build_architecture
from constructs_lib.bootstrap.step_model import TestStep
from constructs_lib.bootstrap.steps import Mirror, Origin
from constructs_lib.queues.model import QueuesFile
from constructs_lib.queues.problems import LoadError, Problem

# Roles: what a job is for. Selection and rendering treat each differently.
TEST, MIRROR, BUILD, HARDWARE = "test", "mirror", "build", "hardware"
UNROUTABLE = "unroutable"  # a step no declared queue can run: fails on the bootstrap queue, saying why
# Where a job's commands run (Job.runs_in); a queue's runner (queues.yaml) says how its containers run.
CONTAINER = "container"  # in the CI image, through the queue's docker or kubernetes plugin
HOST = "host"  # on the agent itself (no_plugin, image builds, hardware scripts)
MULTI_NODE = "multi-node"  # several containers on one host through the repository's script
NATIVE = "native"  # in a pod of its mirror family's own image (MirrorRecipe.native), not docker-in-docker

IMAGE_BUILD_KEY = "image-build"
BUILD_LABEL_PREFIX = ":docker:"


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
    caches: image_build.BuildCaches = image_build.BuildCaches(trusted=True)  # what its build reads and writes

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}:{self.commit}"

    @property
    def torch_nightly(self) -> str:
        """The image of the torch-nightly jobs (TORCH_NIGHTLY=1)."""
        return f"{self.name}-torch-nightly"

    def torch_nightly_build_commands(self, dockerfile: str) -> tuple[str, ...]:
        # The image's name reaches the shell as a variable (the step's env), never as text.
        return (
            f"docker build --file {dockerfile} --build-arg max_jobs=16 --build-arg buildkite_commit=$BUILDKITE_COMMIT "
            '--build-arg USE_SCCACHE=1 --tag "$IMAGE_TAG_TORCH_NIGHTLY" --target test --progress plain .',
            'docker push "$IMAGE_TAG_TORCH_NIGHTLY"',
        )

    @property
    def latest(self) -> Optional[str]:
        return f"{self.registry}/{self.repository}:latest" if self.default_branch else None

    def build_commands(self) -> tuple[str, ...]:
        """Build and push the image unless this commit's image exists already (image_build says how)."""
        return image_build.commands(self.caches, latest=self.latest is not None)


def in_checkout(recipe: MirrorRecipe, lookups: checkout_paths.Lookups, origin: Origin) -> MirrorRecipe:
    """A mirror recipe with its paths filled in for this checkout."""

    def fill(text: str) -> str:
        for name in lookups.paths:
            if "{" + name + "}" in text:
                resolved = lookups.resolve(name, origin)
                if resolved.path is None:
                    return f"bash -c {shlex.quote(resolved.missing_command())}"
                text = text.replace("{" + name + "}", resolved.path)
        return text

    def paths(given: tuple[str, ...]) -> tuple[str, ...]:
        """Each path, or each known path of a checkout name: the one this checkout has, else all."""
        out: list[str] = []
        for text in given:
            name = text[1:-1] if text.startswith("{") and text.endswith("}") else None
            if name is None or name not in lookups.paths:
                out.append(text)
                continue
            found = lookups.resolve(name, origin).path
            out.extend((found,) if found else lookups.paths[name])
        return tuple(out)

    native = recipe.native
    if native is not None:
        native = dataclasses.replace(native, runs_when_changed=paths(native.runs_when_changed))
    return dataclasses.replace(
        recipe,
        build_commands=tuple(fill(c) for c in recipe.build_commands),
        wrapper=fill(recipe.wrapper) if recipe.wrapper else None,
        native=native,
    )


TORCH_NIGHTLY = "torch-nightly"
TORCH_NIGHTLY_GROUP = "vllm against torch nightly"
TORCH_NIGHTLY_BUILD_KEY = f"{IMAGE_BUILD_KEY}-{TORCH_NIGHTLY}"


@dataclasses.dataclass(frozen=True)
class Job:
    role: str
    step: TestStep  # the job's own step; synthesized for mirrors, builds and hardware tests
    key: str
    needs: Needs
    runs_in: str  # where its commands run: CONTAINER, HOST or MULTI_NODE
    depends_on: tuple[str, ...] = ()
    group: Optional[str] = None
    parent: Optional[str] = None  # key of the step a mirror copies
    recipe: Optional[MirrorRecipe] = None  # how a mirror or its image build is built and run (the profile's)
    # Single-file steps without source_file_dependencies always run; the current
    # layout gives every step its job file as a dependency instead.
    always_without_dependencies: bool = True
    image: Optional[str] = None  # the image its container runs, when not the build's CI image
    inherited_timeout: Optional[int] = None  # a mirror's: its parent's, when neither it nor its queue sets one
    multi_node_script: Optional[str] = None  # of a multi-node job: None when the checkout has none
    always_runs: bool = False  # the profile runs it in every build (Profile.keyed_steps)
    writes_shared: bool = False  # it writes what every build reads: never without a maintainer in an untrusted build
    host_family: Optional[MirrorRecipe] = None  # of a job on a family's build device (its host_retry, timeout_cap)
    runs_when_changed: tuple[str, ...] = ()  # a change to one of these runs it, optional or not (a mirror's family's)

    @property
    def label(self) -> str:
        return str(self.step.label)

    @property
    def family_test(self) -> bool:
        """A test job of a mirror family (a mirror, or a step on one of the family's devices): the recipe runs it."""
        return self.recipe is not None and self.role in (TEST, MIRROR)

    @property
    def wrapped(self) -> bool:
        """Its commands run through the family's wrapper (docker-in-docker or native), not as they are."""
        return self.family_test and self.recipe is not None and bool(self.recipe.wrapper) and not self.step.no_plugin


@dataclasses.dataclass(frozen=True)
class Expansion:
    jobs: tuple[Job, ...]
    warnings: tuple[Problem, ...]
    excluded: tuple[TestStep, ...]  # fast_check_only steps: not part of this pipeline


def expand(source: Source, model: QueuesFile, image: Image, torch_nightly: bool = False) -> Expansion:
    """All jobs of the build. LoadError names key collisions and unknown depends_on keys.

    With `torch_nightly` (TORCH_NIGHTLY=1), every step marked torch_nightly
    also runs, soft-failing, in an image built against torch nightly.
    """
    single = source.kind == SINGLE_FILE
    given = {s.key for s in source.steps if s.key}
    warnings: list[Problem] = []
    excluded = tuple(s for s in source.steps if s.fast_check_only)
    tests: list[Job] = []
    mirrors: list[Job] = []
    nightly_torch: list[Job] = []
    families: dict[str, Origin] = {}
    declared = {line for q in model.queues.values() for line in q.routing.hardware}
    undeclared: dict[tuple[str, Optional[str]], int] = {}
    profile = source.profile
    lookups = checkout_paths.Lookups(source.present, profile.checkout_paths)
    recipes = profile.recipes(single)
    specs: dict[str, Optional[MirrorRecipe]] = {}  # each family filled in for this checkout once
    derived = _derived_keys(source.steps, given, warnings)

    def spec_of(family: str, origin: Origin) -> Optional[MirrorRecipe]:
        if family not in specs:
            base = recipes.get(family)
            specs[family] = in_checkout(base, lookups, origin) if base else None
        return specs[family]

    for step in source.steps:
        if step.fast_check_only:
            continue
        job = _in_variant_image(_test_job(step, source, model, step.key or derived[id(step)]), image)
        if job.runs_in == MULTI_NODE:
            job = dataclasses.replace(job, multi_node_script=lookups.resolve("multi-node", step.origin).path)
        family = _family_of_device(step.device, recipes)
        host = next((r for r in recipes.values() if step.device is not None and r.device == step.device), None)
        if family is not None:
            families.setdefault(family, step.origin)
            job = _as_family_test(job, family, spec_of(family, step.origin))
        elif host is not None:
            job = dataclasses.replace(job, host_family=host)
        keyed = profile.keyed_steps.get(job.key)
        if keyed is not None:
            job = dataclasses.replace(job, always_runs=keyed.always_runs, writes_shared=keyed.writes_shared)
        tests.append(job)
        if torch_nightly and step.also_torch_nightly:
            nightly_torch.append(_torch_nightly_job(job, image))
        for mirror in step.mirrors:
            if mirror.device is None and mirror.hardware not in declared:
                undeclared.setdefault((step.origin.file, mirror.hardware), step.origin.line)
                continue
            families.setdefault(mirror.family, step.origin)
            mirrors.append(_mirror_job(job, mirror, spec_of(mirror.family, step.origin)))
    for (file, line_name), line in undeclared.items():
        warnings.append(
            Problem(
                file, line, "", f"no queue declares hardware {line_name!r} (routing.hardware); its mirrors are left out"
            )
        )
    builds = [_image_build(source, image)] if single and IMAGE_BUILD_KEY not in given else []
    # A family's image build opens the family's group, after the tests.
    family_builds = [
        _family_build(family, spec, origin)
        for family, origin in families.items()
        if (spec := specs[family]) is not None and f"{IMAGE_BUILD_KEY}-{family}" not in given
    ]
    hardware = [
        _hardware_job(test, source, lookups) for test in profile.hardware_tests if single and test.line in declared
    ]
    if nightly_torch and TORCH_NIGHTLY_BUILD_KEY not in given:
        nightly_torch.insert(0, _torch_nightly_build(source, image, lookups))
    warnings.extend(lookups.missing())
    jobs = tuple(builds + tests + family_builds + mirrors + hardware + nightly_torch)
    given_keys = [(job.key, job.label, job.step.origin) for job in jobs]
    # Block keys too: a step may wait behind one. Not for keys that collide already.
    counts = collections.Counter(job.key for job in jobs)
    block_keys = [(f"block-{job.key}", f"Run {job.label}", job.step.origin) for job in jobs if counts[job.key] == 1]
    problems = keys.collisions(given_keys + block_keys)
    for job in jobs:
        for wanted in job.depends_on:
            if wanted not in counts:
                problems.append(
                    job.step.origin.problem(
                        f"depends_on {wanted!r}: no step of the pipeline has that key", "depends_on"
                    )
                )
    if problems:
        raise LoadError(problems)
    return Expansion(jobs, tuple(warnings), excluded)


def needs_of(step: TestStep, model: QueuesFile, builder: bool = False, key: Optional[str] = None) -> Needs:
    amount = (step.count or 1) * step.num_nodes  # num_nodes x GPUs share one host
    if builder:
        return Needs(step.label, builder=True, architecture=build_architecture(step.label, key or step.key))
    if step.no_gpu:
        return Needs(step.label, None, 0)
    if step.device is not None:
        return Needs(step.label, None, amount, device=step.device)
    return Needs(step.label, step.accelerator or model.routing.default_gpu, amount)


def _derived_keys(steps: Sequence[TestStep], given: set[Any], warnings: list[Problem]) -> dict[int, str]:
    """Keys of the steps without one, from their labels; a repeated label gets `-2`, `-3`, ... by order."""
    taken = set(given)
    first: dict[str, TestStep] = {}
    out: dict[int, str] = {}
    for step in steps:
        if step.key or step.fast_check_only:
            continue
        base = keys.derive(step.label)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        if key != base:
            other = first.get(base)
            why = f"the step at {other.origin} derives the same key" if other else f"a step's own key is {base!r}"
            warnings.append(step.origin.problem(f"step {step.label!r} gets the key {key!r}: {why}"))
        first.setdefault(base, step)
        taken.add(key)
        out[id(step)] = key
    return out


def _in_variant_image(job: Job, image: Image) -> Job:
    """A container step that waits for `image-build-<variant>` runs in the image that build pushes.

    vLLM's image builds tag their variants `<image>-<variant>` (`image-build-cpu`
    pushes `...:<commit>-cpu`); a CPU step that depends on it must not run in
    the CUDA image.
    """
    if job.runs_in != CONTAINER:
        return job
    variants = [d[len(IMAGE_BUILD_KEY) + 1 :] for d in job.depends_on if d.startswith(IMAGE_BUILD_KEY + "-")]
    if len(variants) != 1:
        return job
    return dataclasses.replace(job, image=f"{image.name}-{variants[0]}")


def _test_job(step: TestStep, source: Source, model: QueuesFile, key: str) -> Job:
    single = source.kind == SINGLE_FILE
    builds_image = step.label.startswith(BUILD_LABEL_PREFIX)
    if step.on_host or builds_image:
        runs_in = HOST
    elif step.num_nodes >= 2:
        runs_in = MULTI_NODE
    else:
        runs_in = CONTAINER
    if single:
        depends = tuple(dict.fromkeys((step.depends_on or ()) + (IMAGE_BUILD_KEY,)))
    else:
        depends = step.depends_on or ()
    return Job(
        role=BUILD if key.startswith(IMAGE_BUILD_KEY) else TEST,
        step=step,
        key=key,
        needs=needs_of(step, model, builder=builds_image and step.device is None, key=key),
        runs_in=runs_in,
        depends_on=tuple(d for d in depends if d != key),
        group=step.group,
        always_without_dependencies=single,
    )


def _family_of_device(device: Optional[str], recipes: Mapping[str, MirrorRecipe]) -> Optional[str]:
    """The mirror family whose devices include `device` (vLLM: mi325_1 is AMD's), or None."""
    if device is None:
        return None
    return next((f for f, r in recipes.items() if r.devices and re.fullmatch(r.devices, device)), None)


def _family_label(spec: Optional[MirrorRecipe], family: str, label: str, device: Optional[str]) -> str:
    if spec is None:
        return f"{family}: {label}"
    if device is None:  # routed by its hardware line (the single-file layout)
        return f"{spec.title}: {label}"
    return spec.label.format(title=spec.title, label=label, device=device)


def _runs_in(spec: Optional[MirrorRecipe], dind: Optional[bool]) -> str:
    return NATIVE if dind is False and spec is not None and spec.native is not None else HOST


def _capped(timeout: Optional[int], spec: Optional[MirrorRecipe]) -> Optional[int]:
    """A family test job's timeout: its own, else the family's cap, and never above the cap."""
    cap = spec.timeout_cap if spec else None
    return timeout if cap is None else min(timeout or cap, cap)


def _with_runtime(
    dependencies: Optional[tuple[str, ...]], spec: Optional[MirrorRecipe], runs_in: str
) -> Optional[tuple[str, ...]]:
    """A native job also runs when the files of its runtime change (vLLM: the AMD wrapper); None stays None."""
    if dependencies is None or runs_in != NATIVE or spec is None or spec.native is None:
        return dependencies
    return tuple(dict.fromkeys(dependencies + spec.native.runs_when_changed))


def _after_family_build(build: str, depends: Sequence[str]) -> tuple[str, ...]:
    """As vLLM's generator: a family's job waits for the family's image build, first, never for the CUDA one."""
    return tuple(dict.fromkeys((build,) + tuple(build if d == IMAGE_BUILD_KEY else d for d in depends)))


def _as_family_test(job: Job, family: str, spec: Optional[MirrorRecipe]) -> Job:
    """A test step on one of a mirror family's devices: it runs as the family's jobs run, after its image build."""
    step = job.step
    runs_in = HOST if job.runs_in == HOST and step.no_plugin else _runs_in(spec, step.dind)
    build = f"{IMAGE_BUILD_KEY}-{family}"
    given = step.dependencies
    added = tuple(d for d in _with_runtime(given, spec, runs_in) or () if d not in (given or ()))
    own = step.model_copy(
        update={
            "label": _family_label(spec, family, step.label, step.device),
            "timeout_in_minutes": _capped(step.timeout_in_minutes, spec),
            "extra_dependencies": step.extra_dependencies + added,
        }
    )
    return dataclasses.replace(
        job,
        step=own,
        needs=dataclasses.replace(job.needs, label=own.label),
        runs_in=runs_in,
        depends_on=tuple(d for d in _after_family_build(build, job.depends_on) if d != job.key),
        recipe=spec,
    )


def _mirror_job(parent: Job, mirror: Mirror, spec: Optional[MirrorRecipe]) -> Job:
    step = parent.step
    runs_in = HOST if mirror.no_plugin else _runs_in(spec, mirror.dind)
    dependencies = step.dependencies
    if mirror.dependencies:
        dependencies = tuple(dict.fromkeys(mirror.dependencies + (dependencies or ())))
    env = dict(step.env or {})
    env.update(mirror.env or {})
    own = derive(
        step,
        "mirror",
        label=mirror.label or _family_label(spec, mirror.family, step.label, mirror.device),
        commands=mirror.commands if mirror.commands is not None else step.flat_commands,
        working_dir=mirror.working_dir or step.working_dir,
        source_file_dependencies=_with_runtime(dependencies, spec, runs_in),
        optional=step.optional if mirror.optional is None else mirror.optional,
        soft_fail=step.soft_fail if mirror.soft_fail is None else mirror.soft_fail,
        # Its own, else the family's cap, else its queue's timeout_in_minutes, else its parent's (inherited_timeout).
        timeout_in_minutes=_capped(mirror.timeout, spec),
        device=mirror.device,
        num_devices=mirror.count or (step.count or 1) * step.num_nodes,
        env=env or None,
        dind=mirror.dind,
        no_plugin=bool(mirror.no_plugin),  # a mirror's own: its parent's is for the parent's hardware
        no_gpu=step.no_gpu if mirror.no_gpu is None else mirror.no_gpu,
        concurrency=step.concurrency if mirror.concurrency is None else mirror.concurrency,
        concurrency_group=step.concurrency_group if mirror.concurrency_group is None else mirror.concurrency_group,
    )
    if mirror.tags:
        own = own.model_copy(update={"agent_tags": mirror.tags})
    build = f"{IMAGE_BUILD_KEY}-{mirror.family}"
    depends = mirror.depends_on if mirror.depends_on is not None else ((build,) if spec else ())
    if spec is not None:
        depends = _after_family_build(build, depends)
    return Job(
        role=MIRROR,
        step=own,
        key=f"{mirror.family}-{parent.key}",
        needs=Needs(
            own.label, None, 0 if own.no_gpu else own.count or 0, device=mirror.device, hardware=mirror.hardware
        ),
        runs_in=runs_in,
        depends_on=depends,
        group=f"{spec.title if spec else mirror.family} Tests",
        parent=parent.key,
        recipe=spec,
        always_without_dependencies=parent.always_without_dependencies,
        inherited_timeout=step.timeout_in_minutes,
        runs_when_changed=spec.runs_when_changed if spec else (),
    )


def _image_build(source: Source, image: Image) -> Job:
    origin = Origin(source.file, 1, ())
    env = {"DOCKER_BUILDKIT": "1", **image.caches.env()}
    step = TestStep.model_construct(
        origin=origin, label=":docker: build image", commands=image.build_commands(), timeout_in_minutes=600, env=env
    )
    return Job(BUILD, step, IMAGE_BUILD_KEY, Needs(step.label, builder=True), HOST)


def _family_build(family: str, spec: MirrorRecipe, origin: Origin) -> Job:
    step = TestStep.model_construct(
        origin=origin,
        label=f"{spec.title}: {BUILD_LABEL_PREFIX} build image",
        commands=spec.build_commands,
        env={"DOCKER_BUILDKIT": "1"},
    )
    needs = Needs(step.label, None, 0, device=spec.device, hardware=family)
    return Job(BUILD, step, f"{IMAGE_BUILD_KEY}-{family}", needs, HOST, group=f"{spec.title} Tests", recipe=spec)


def _hardware_job(test: HardwareTest, source: Source, lookups: checkout_paths.Lookups) -> Job:
    origin = Origin(source.file, 1, ())
    resolved = lookups.resolve(test.script, origin)
    command = f"bash {resolved.path}" if resolved.path else resolved.missing_command()
    step = TestStep.model_construct(
        origin=origin,
        label=test.label,
        commands=(command,),
        optional=test.optional,
        soft_fail=True,
        timeout_in_minutes=test.timeout,
    )
    return Job(
        HARDWARE, step, f"hardware-{test.line}", Needs(step.label, hardware=test.line), HOST, group="Hardware Tests"
    )


def unroutable_job(job: Job, reason: str) -> Job:
    """The job as a step that fails at once, saying which queue it would need."""
    return failing_job(job, f"no declared queue can run {job.label!r}: {reason} (declare one in queues.yaml)")


# The variable a failing step's reason reaches its shell in: data, never command text.
FAILURE_REASON = "CI_FAILURE_REASON"


def failing_job(job: Job, message: str) -> Job:
    """The job as a step that fails at once, printing `message`."""
    step = derive(
        job.step, "failing", commands=(f'echo "${FAILURE_REASON}" >&2', "exit 1"), env={FAILURE_REASON: message}
    )
    return dataclasses.replace(job, role=UNROUTABLE, step=step, runs_in=HOST, depends_on=(), recipe=None, image=None)


def _torch_nightly_build(source: Source, image: Image, lookups: checkout_paths.Lookups) -> Job:
    origin = Origin(source.file, 1, ())
    resolved = lookups.resolve("torch-nightly-dockerfile", origin)
    commands = image.torch_nightly_build_commands(resolved.path) if resolved.path else (resolved.missing_command(),)
    step = TestStep.model_construct(
        origin=origin,
        label=f"{BUILD_LABEL_PREFIX} build image torch nightly",
        commands=commands,
        soft_fail=True,
        timeout_in_minutes=360,
        env={"DOCKER_BUILDKIT": "1"},
    )
    return Job(BUILD, step, TORCH_NIGHTLY_BUILD_KEY, Needs(step.label, builder=True), HOST, group=TORCH_NIGHTLY_GROUP)


def _torch_nightly_job(parent: Job, image: Image) -> Job:
    """The parent step again, soft-failing, in the image built against torch nightly."""
    step = derive(parent.step, "torch_nightly", label=f"Torch Nightly {parent.step.label}", soft_fail=True)
    return dataclasses.replace(
        parent,
        step=step,
        key=f"{TORCH_NIGHTLY}-{parent.key}",
        needs=dataclasses.replace(parent.needs, label=step.label),
        depends_on=(TORCH_NIGHTLY_BUILD_KEY,),
        group=TORCH_NIGHTLY_GROUP,
        parent=parent.key,
        image=image.torch_nightly,
    )
