"""Profile: the conventions of a tested repository the generic generator follows.

Where its CI images live by default, the folder its tests run from in the
image, the variables every container gets, the files of its checkout the
generator's own commands name, its hardware test lines, how its mirrors are
built and run, and the label that runs everything. The generator reads these
from the profile its step files came with (`Source.profile`); the edge (the
command line) chooses the profile. vLLM's is `profiles/vllm.py`. Data only.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional


@dataclasses.dataclass(frozen=True)
class Images:
    """Where the CI image of a commit lives: a registry, and a repository for the default branch and for every other."""

    registry: str
    main: str  # builds of the default branch
    premerge: str  # every other branch


@dataclasses.dataclass(frozen=True)
class HardwareTest:
    """A hardware line's test step of the single-file layout: it runs a script of the checkout."""

    line: str
    label: str
    script: str  # a name of Profile.checkout_paths
    optional: bool = False
    timeout: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Switched:
    """Lines chosen by a variable of the bootstrap's environment when it generates the pipeline: "1" is on.

    The variable is read once, where the pipeline is made (as vLLM's generator
    reads it), so that a job's commands never depend on what reaches them.
    """

    variable: str
    on: tuple[str, ...]
    off: tuple[str, ...]

    def lines(self, values: Mapping[str, str]) -> tuple[str, ...]:
        return self.on if values.get(self.variable, "0") == "1" else self.off


@dataclasses.dataclass(frozen=True)
class KeyedStep:
    """What a profile decides for the step of one key, whatever its file says (vLLM: its ROCm base images)."""

    always_runs: bool = False  # in every build but NOAUTO, named-key and docs-only ones
    # It writes what every build reads (vLLM: the shared ROCm base image, `rocm/vllm-dev:ci_base`), on hosts
    # whose credentials the toolkit does not split by build kind: an untrusted build's waits for a maintainer.
    writes_shared: bool = False
    timeout: Optional[int] = None  # minutes
    # (variable, minutes): the timeout when that variable of the bootstrap's environment is "1".
    timeout_when: Optional[tuple[str, int]] = None
    # Variables of the bootstrap's environment given to the step (name: default), as data: its script then
    # sees what decided its timeout.
    env_from_bootstrap: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def timeout_for(self, values: Mapping[str, str]) -> Optional[int]:
        if self.timeout_when is not None and values.get(self.timeout_when[0], "0") == "1":
            return self.timeout_when[1]
        return self.timeout

    def env(self, values: Mapping[str, str]) -> dict[str, str]:
        return {name: values.get(name, default) for name, default in self.env_from_bootstrap.items()}


@dataclasses.dataclass(frozen=True)
class NativeRecipe:
    """How a family's native jobs run (`dind: false`): in a pod of the family's own image, not docker-in-docker.

    The queue's Kubernetes agents (agent-stack-k8s) start the pod; the job's
    kubernetes plugin patches its first container: the image, the GPUs
    requested from the cluster's device plugin, a memory-backed /dev/shm, an
    empty workspace, and the pod's own name, namespace and node as variables.
    """

    image: str
    gpu_resource: str  # the device plugin's resource name (amd.com/gpu)
    env: Mapping[str, str]  # the job's variables, over the family's and the step's
    env_defaults: Mapping[str, str]  # the job's variables unless the step sets them
    env_dropped: tuple[str, ...]  # the family's variables that do not apply (docker-in-docker's)
    container_env: Mapping[str, str]  # the container's own variables
    field_env: Mapping[str, str]  # container variables from the pod's fields (name: field path)
    workspace: str  # an empty folder the job's checkout and artifacts go in
    shm_size: str
    image_pull_secret: Optional[str] = None
    # Checkout paths (names of Profile.checkout_paths, in braces) whose change runs every native job.
    runs_when_changed: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class MirrorRecipe:
    """How the jobs of one family (a step's `mirror:` key, e.g. amd; or a step on one of its devices) are built and run.

    `{name}` in a command or path stands for a path of Profile.checkout_paths.
    The family's test jobs run its wrapper on the agent (docker-in-docker),
    or, with `dind: false`, natively (`native`).
    """

    title: str
    device: Optional[str]  # device of its image build (falls back to the hardware line)
    build_commands: tuple[str, ...]
    wrapper: Optional[str]  # script that runs the commands in the family's image
    devices: str = ""  # a regular expression: a test step whose device it matches is one of the family's jobs
    label: str = "{title}: {label}"  # its jobs' label ({title}, {label}: the step's, {device})
    commands_variable: Optional[str] = None  # the wrapper reads the commands from it; None: as its argument
    group_name_variable: Optional[str] = None  # the commands of a step on the family's device export its key in it
    setup: tuple[str, ...] = ()  # lines before a wrapped job's commands (diagnostics)
    setup_switched: Optional[Switched] = None  # and these, as a variable of the bootstrap's environment says
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)  # every wrapped job's variables
    dind_env: Mapping[str, str] = dataclasses.field(default_factory=dict)  # a docker-in-docker job's, besides
    gpu_count_variable: Optional[str] = None  # the GPUs its queue's agents hold, for the wrapper to check
    native: Optional[NativeRecipe] = None
    retry: tuple[Mapping[str, object], ...] = ()  # automatic retries of its test jobs, before the step's own
    host_retry: tuple[Mapping[str, object], ...] = ()  # of the jobs on its build device (`device`)
    priority: Optional[int] = None  # of its test jobs
    artifact_paths: tuple[str, ...] = ()  # what a wrapped job uploads (its diagnostics)
    timeout_cap: Optional[int] = None  # minutes: its test jobs' and build-device jobs' timeout, and their most
    runs_when_changed: tuple[str, ...] = ()  # paths whose change runs every mirror of the family


@dataclasses.dataclass(frozen=True)
class ContainerSetup:
    """Shell lines a container job runs before its step's commands: diagnostics and their environment."""

    info: tuple[str, ...] = ()  # every container job (e.g. the GPU listing)
    multi_gpu_info: tuple[str, ...] = ()  # jobs of two or more GPUs or nodes (e.g. the GPU topology)
    environment: tuple[str, ...] = ()  # exports every container job gets (e.g. the CUDA coredump settings)

    def lines(self, multi_gpu: bool) -> tuple[str, ...]:
        return self.info + (self.multi_gpu_info if multi_gpu else ()) + self.environment


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    images: Images  # unless the step files name others (ci_config's registries, repositories)
    working_dir: str  # where a step's commands run in the image unless it says
    container_env: Mapping[str, str]  # variables every container gets
    # The checkout's files the generator's commands name, by name; each with its known paths, newest first.
    checkout_paths: Mapping[str, tuple[str, ...]]
    hardware_tests: tuple[HardwareTest, ...]  # of the single-file layout, one per hardware line
    mirror_recipes: Mapping[str, MirrorRecipe]  # by mirror family (a step's `mirror:` key)
    single_file_run_all: tuple[str, ...]  # changed-file prefixes that run every step of the single-file layout
    run_all_label: str  # the PR label that runs every step
    container_setup: ContainerSetup = ContainerSetup()  # before a container job's commands
    # What the profile decides for the steps of some keys (vLLM: the ROCm base refresh's timeout).
    keyed_steps: Mapping[str, KeyedStep] = dataclasses.field(default_factory=dict)
    # The mirror recipes of the single-file layout (`mirror_hardwares`), when its era ran them otherwise.
    single_file_mirror_recipes: Optional[Mapping[str, MirrorRecipe]] = None

    def recipes(self, single_file: bool) -> Mapping[str, MirrorRecipe]:
        """The mirror recipes of a layout."""
        if single_file and self.single_file_mirror_recipes is not None:
            return self.single_file_mirror_recipes
        return self.mirror_recipes

    # A log section before each command ({n}, {total}, {preview}: the command's first characters); None: none.
    command_section: Optional[str] = None

    @property
    def bootstrap_variables(self) -> tuple[str, ...]:
        """The variables of the bootstrap's environment the profile reads when it generates a pipeline."""
        names: list[str] = []
        for recipe in (*self.mirror_recipes.values(), *(self.single_file_mirror_recipes or {}).values()):
            if recipe.setup_switched is not None:
                names.append(recipe.setup_switched.variable)
        for keyed in self.keyed_steps.values():
            names += [keyed.timeout_when[0]] if keyed.timeout_when else []
            names += list(keyed.env_from_bootstrap)
        return tuple(dict.fromkeys(names))

    @property
    def all_checkout_paths(self) -> tuple[str, ...]:
        return tuple(path for paths in self.checkout_paths.values() for path in paths)
