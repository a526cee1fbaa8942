"""Variables a step's commands read that nothing sets are named in a warning; what something sets is not."""

from __future__ import annotations

from .helpers import default_queues, run

OLDER_TREE = """\
steps:
- label: Build
  command: docker build --build-arg VLLM_USE_PRECOMPILED=$VLLM_USE_PRECOMPILED --cache-from $CACHE_FROM --cache-to $$CACHE_TO .
- label: Again
  command: echo $VLLM_USE_PRECOMPILED
"""


def unset_names(result) -> dict[str, str]:
    out = {}
    for warning in result.warnings:
        if "which neither the step" in warning.message:
            out[warning.message.split("$", 1)[1].split(",", 1)[0]] = warning.message
    return out


def test_every_variable_nothing_sets_is_named_once_per_file():
    found = unset_names(run(OLDER_TREE, default_queues(), run_all=True))
    assert set(found) == {"VLLM_USE_PRECOMPILED", "CACHE_FROM", "CACHE_TO"}
    assert found["VLLM_USE_PRECOMPILED"].endswith("; 2 steps read it")


def test_what_buildkite_the_generator_the_step_or_the_commands_set_is_not_named():
    text = """\
steps:
- label: Set
  env: {FROM_ENV: x}
  commands:
  - export EXPORTED=1
  - LOCAL=2; for ITEM in a b; do echo $ITEM $LOCAL $EXPORTED $FROM_ENV; done
  - echo $BUILDKITE_BRANCH $BUILDKITE_COMMIT $IMAGE_TAG $HOME $HF_HOME $1
"""
    assert unset_names(run(text, default_queues(), run_all=True)) == {}


def test_the_shared_2026_tree_reads_nothing_unset():
    from constructs_lib.bootstrap.cli import read_source
    from constructs_lib.bootstrap.generate import Options, generate
    from tests.conftest import shared_path

    tree = read_source(str(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")))
    assert unset_names(generate(tree, default_queues(), Options(run_all=True))) == {}


def test_a_read_with_a_default_is_not_named():
    text = 'steps:\n- label: A\n  command: if [[ "$${ONLY:-0}" == 1 ]]; then echo "$${OTHER:+x}"; fi\n'
    assert unset_names(run(text, default_queues(), run_all=True)) == {}
