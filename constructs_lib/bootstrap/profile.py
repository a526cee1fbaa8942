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
class MirrorRecipe:
    """How the mirrors of one family (a step's `mirror:` key, e.g. amd) are labelled, built and run; `{name}` stands for a path of Profile.checkout_paths."""

    title: str
    device: Optional[str]  # device of its image build (falls back to the hardware line)
    build_commands: tuple[str, ...]
    wrapper: Optional[str]  # script that runs the commands in the family's image


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

    @property
    def all_checkout_paths(self) -> tuple[str, ...]:
        return tuple(path for paths in self.checkout_paths.values() for path in paths)
