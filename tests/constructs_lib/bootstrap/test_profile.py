"""The generator is generic: a repository's conventions come from its profile (vLLM's: profiles/vllm.py)."""

from __future__ import annotations

import dataclasses
import pathlib

from constructs_lib.bootstrap import cli
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.bootstrap.profiles.vllm import VLLM
from constructs_lib.queues.loader import load_queues
from tests.conftest import REPO

ENGINE = REPO / "constructs_lib" / "bootstrap"


def convention_words(profile) -> set[str]:
    """What a profile says, as text the engine would hold if it leaked back into it: taken from the profile itself."""
    return {
        profile.working_dir,
        profile.run_all_label,
        profile.images.registry,
        profile.images.main,
        profile.images.premerge,
        *profile.container_env,
        *(path for paths in profile.checkout_paths.values() for path in paths),
        *(test.label for test in profile.hardware_tests),
        *(line for recipe in profile.mirror_recipes.values() for line in recipe.build_commands),
        *profile.container_setup.lines(multi_gpu=True),
    }


# And what stands in them but is not a whole value (the AMD image, the scripts' folder).
VLLM_WORDS = (
    "/vllm-workspace",
    "VLLM_USAGE_SOURCE",
    "ready-run-all-tests",
    "run-amd-test",
    "rocm/vllm-ci",
    "Dockerfile.rocm",
    "hardware_ci",
)


def test_the_engine_names_none_of_vllms_conventions():
    words = convention_words(VLLM) | set(VLLM_WORDS)
    assert len(words) > 20, "the profile's own values are checked, not a copied list"
    for path in sorted(ENGINE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for word in sorted(words):
            assert word not in text, f"{path.relative_to(REPO)} names {word!r}: it belongs in a profile"


STEPS = "steps:\n- label: A\n  commands: [pytest a.py]\n"


def generated(tmp_path: pathlib.Path, profile=VLLM) -> dict:
    steps = tmp_path / ".buildkite" / "test-pipeline.yaml"
    steps.parent.mkdir(parents=True, exist_ok=True)
    steps.write_text(STEPS)
    source = cli.read_source(str(steps), profile)
    return generate(source, load_queues(REPO / "queues.yaml"), Options(changed_files=("a.py",), branch="x")).pipeline


def test_a_change_of_profile_changes_the_pipeline_and_nothing_else_has_to(tmp_path):
    other = dataclasses.replace(
        VLLM,
        name="other",
        working_dir="/work/tests",
        container_env={"OTHER_USAGE": "ci"},
    )
    ours, theirs = generated(tmp_path), generated(tmp_path, other)
    text = str(theirs)
    assert "/work/tests" in text and "OTHER_USAGE" in text
    assert "/vllm-workspace" not in text and "VLLM_USAGE_SOURCE" not in text
    assert "/vllm-workspace" in str(ours) and "VLLM_USAGE_SOURCE" in str(ours)
