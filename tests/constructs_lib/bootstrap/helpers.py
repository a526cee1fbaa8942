"""Small builders shared by the generator's tests: hand-written inputs, no ../shared."""

from __future__ import annotations

import functools
import pathlib
import re
import textwrap

from constructs_lib.bootstrap import formats, lenient_yaml
from constructs_lib.bootstrap.generate import Options, Result, generate
from constructs_lib.bootstrap.profiles.vllm import VLLM
from constructs_lib.queues.loader import load_queues, parse_queues
from constructs_lib.queues.model import QueuesFile

REPO = pathlib.Path(__file__).resolve().parents[3]
QUEUES = REPO / "queues.yaml"  # today's fleet
QUEUES_2024 = REPO / "examples" / "queues-vllm-2024.yaml"  # the fleet of the single-file layout
PIPELINE = "test-pipeline.yaml"


@functools.lru_cache(maxsize=None)
def default_queues() -> QueuesFile:
    """The default queues.yaml: the fleet vLLM's CI routes to today."""
    return load_queues(QUEUES)


@functools.lru_cache(maxsize=None)
def fleet_2024() -> QueuesFile:
    """examples/queues-vllm-2024.yaml: the queue names of the 2024 template, for the single-file fixtures."""
    return load_queues(QUEUES_2024)


def queues(text: str) -> QueuesFile:
    """A queues.yaml of a test's own; `routing.default_gpu` defaults to l4."""
    text = textwrap.dedent(text)
    if "routing:\n  default_gpu" not in text:
        text = "routing:\n  default_gpu: l4\n" + text
    return parse_queues(text.encode(), "queues.yaml")


def single(text: str, file: str = PIPELINE) -> formats.Source:
    doc, warnings = lenient_yaml.load(textwrap.dedent(text).encode(), file)
    return formats.single_file(doc, warnings, VLLM)


def run(text: str, model: QueuesFile | None = None, **options) -> Result:
    return generate(single(text), model or fleet_2024(), Options(**options))


def planned(result: Result) -> dict:
    """Planned jobs by label."""
    return {job.label: job for job in result.plan}


def steps_of(pipeline: dict) -> list[dict]:
    """Every step, group members included, in order."""
    out = []
    for step in pipeline["steps"]:
        out.append(step)
        out.extend(step.get("steps", []) if "group" in step else [])
    return out


def step(pipeline: dict, key: str) -> dict:
    return next(s for s in steps_of(pipeline) if s.get("key") == key)


def layout(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    """Write a repository's `.buildkite` tree; returns the ci_config.yaml path."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root / ".buildkite" / "ci_config.yaml"


CI_CONFIG = """\
    job_dirs:
      - ".buildkite/test_areas"
    run_all_patterns:
      - "setup.py"
      - "docker/Dockerfile"
    run_all_exclude_patterns:
      - "docker/Dockerfile."
    registries: registry.example.com
    repositories:
      main: ci-main
      premerge: ci-premerge
"""


# The log section the vLLM profile opens before each command (Profile.command_section).
_SECTION = re.compile(r"echo '\+\+\+ :test_tube: Command \(\d+/\d+\): [^']*'")
_SECTION_OUTPUT = re.compile(r"\+\+\+ :test_tube: Command \(\d+/\d+\): [^\n]*\n")


def unsectioned(commands: list[str]) -> list[str]:
    """A step's commands without the log sections before each."""
    return [c for c in commands if not _SECTION.fullmatch(c)]


def unsectioned_text(text: str) -> str:
    """A script or command line (lines, or `&&`-joined) without its log sections, or their output without theirs."""
    text = re.sub(_SECTION.pattern + r"(\n| && )", "", text)
    return _SECTION_OUTPUT.sub("", text)
