"""Selection: prefix matching, run-all, docs-only, optional and nightly steps, block steps."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from constructs_lib.bootstrap.profiles.vllm import VLLM
from constructs_lib.bootstrap.selection import SortedPaths, changes

from .fuzz_settings import FUZZ
from .helpers import planned, run, step

STEPS = """\
steps:
- label: Core
  source_file_dependencies: [vllm/core]
  command: pytest core
- label: Kernels
  source_file_dependencies: [csrc/, tests/kernels/test_attention]
  command: pytest kernels
- label: Always
  command: pytest always
- label: Optional
  optional: true
  source_file_dependencies: [vllm/]
  command: pytest optional
- label: Nightly only
  nightly: true
  command: pytest nightly
- label: LM Eval
  autorun_on_main: true
  source_file_dependencies: [vllm/model_executor]
  command: pytest eval
- label: Documentation Build
  source_file_dependencies: [docs/]
  command: make -C docs html
- label: Broad but not kv
  source_file_dependencies: [vllm/, "!vllm/distributed/kv_transfer/", "!vllm/lora"]
  command: pytest broad
- label: Fast only
  fast_check_only: true
  command: pytest fast
"""


def runs(**options) -> dict[str, bool]:
    return {label: job.runs for label, job in planned(run(STEPS, **options)).items()}


def test_a_dependency_is_a_string_prefix_of_a_changed_file():
    # "vllm/core" has no trailing "/": it matches the directory and vllm/core_utils.py alike.
    assert runs(changed_files=("vllm/core/scheduler.py",))["Core"]
    assert runs(changed_files=("vllm/core_utils.py",))["Core"]
    assert not runs(changed_files=("vllm/cor.py",))["Core"]


def test_a_prefix_does_not_match_in_the_middle_of_a_path():
    # The 2024 template matched substrings: csrc/ also selected foo/csrc/x.cu.
    assert not runs(changed_files=("third_party/csrc/x.cu",))["Kernels"]


def test_a_dependency_without_py_matches_the_file():
    # The 2026 generator's "/" boundary misses this one.
    assert runs(changed_files=("tests/kernels/test_attention.py",))["Kernels"]


def test_steps_without_dependencies_always_run_in_the_single_file_format():
    assert runs(changed_files=("README.txt",))["Always"]


def test_a_step_that_does_not_run_waits_behind_a_block_step():
    result = run(STEPS, changed_files=("vllm/core/a.py",))
    assert step(result.pipeline, "core")["depends_on"] == ["image-build"]
    block = step(result.pipeline, "block-kernels")
    assert block["block"] == "Run Kernels"
    assert block["depends_on"] == ["image-build"]
    assert step(result.pipeline, "kernels")["depends_on"] == ["block-kernels"]


def test_optional_steps_wait_unless_nightly_and_run_all_runs_nightly_only_ones():
    normal = runs(changed_files=("vllm/a.py",))
    assert not normal["Optional"] and not normal["Nightly only"]
    run_all = runs(changed_files=("vllm/a.py",), run_all=True)
    assert not run_all["Optional"] and run_all["Nightly only"]  # run-all runs every step that is not optional
    nightly = runs(nightly=True)
    assert all(nightly.values())


def test_an_exclusion_carves_a_subtree_out_of_a_broad_include():
    assert not runs(changed_files=("vllm/distributed/kv_transfer/nixl/worker.py",))["Broad but not kv"]
    assert not runs(changed_files=("vllm/lora/layers.py", "vllm/lora_x.py"))[
        "Broad but not kv"
    ]  # "!vllm/lora" covers both
    assert runs(changed_files=("vllm/distributed/kv_transfer/x.py", "vllm/core/y.py"))["Broad but not kv"]
    assert runs(changed_files=("vllm/distributed/parallel_state.py",))["Broad but not kv"]


def test_noauto_makes_every_job_wait():
    result = run(STEPS, changed_files=("vllm/core/x.py",), noauto=True)
    assert not any(job.runs for job in result.plan)
    assert {job.reason for job in result.plan} == {"NOAUTO: every step waits to be unblocked"}


def test_only_step_keys_run_with_what_they_need_and_nothing_else():
    result = run(STEPS, changed_files=("vllm/core/x.py",), only_keys=frozenset({"kernels", "no-such-step"}))
    running = {job.key for job in result.plan if job.runs}
    assert running == {"kernels", "image-build"}
    assert [str(w) for w in result.warnings] == ["VLLM_CI_ONLY_STEP_KEYS: no step has the key 'no-such-step'"]


def test_the_run_all_label_runs_everything_nightly_steps_too():
    labelled = runs(changed_files=("vllm/core/x.py",), pr_labels=("documentation", "ready-run-all-tests"))
    assert all(labelled.values())
    assert not runs(changed_files=("vllm/core/x.py",), pr_labels=("documentation",))["Kernels"]


def test_autorun_on_main_runs_on_the_default_branch_only():
    assert not runs(branch="feature", changed_files=("x.py",))["LM Eval"]
    assert runs(branch="main", changed_files=("x.py",))["LM Eval"]
    assert not runs(branch="release", default_branch="release-2", changed_files=("x.py",))["LM Eval"]


def test_fast_check_only_steps_are_left_out_and_mentioned():
    result = run(STEPS, run_all=True)
    assert "Fast only" not in planned(result)
    assert "fast_check_only" in result.explain and "Fast only" in result.explain


def test_run_all_patterns_of_the_single_file_format():
    for path in (
        "setup.py",
        "requirements/common.txt",
        "csrc/ops.cu",
        "Dockerfile.rocm",
        "CMakeLists.txt",
        ".buildkite/test-pipeline.yaml",
    ):
        assert changes([path], VLLM.single_file_run_all).run_all_file is not None, path
    for path in ("vllm/setup.py", "docs/requirements.txt", "tests/csrc/x.py"):
        assert changes([path], VLLM.single_file_run_all).run_all_file is None, path
    result = run(STEPS, changed_files=("setup.py",))
    assert planned(result)["Kernels"].reason == "run-all: `setup.py` matches run-all pattern `setup.py`"


def test_run_all_exclude_patterns_win():
    include, exclude = ("docker/Dockerfile", "csrc/"), ("docker/Dockerfile.", "csrc/cpu/")
    assert changes(["docker/Dockerfile"], include, exclude).run_all_file == ("docker/Dockerfile", "docker/Dockerfile")
    assert changes(["docker/Dockerfile.cpu"], include, exclude).run_all_file is None
    assert changes(["csrc/cpu/x.cpp"], include, exclude).run_all_file is None
    assert changes(["csrc/cpu/x.cpp", "csrc/cuda/y.cu"], include, exclude).run_all_file == ("csrc/cuda/y.cu", "csrc/")


def test_docs_only_change_skips_the_tests_it_does_not_concern_and_says_so():
    result = run(STEPS, changed_files=("docs/index.md", "README.md"))
    running = {job.label for job in result.plan if job.runs}
    # The docs build is the step the change concerns: it runs, with the image it needs.
    assert running == {"Documentation Build", ":docker: build image"}
    assert "Docs-only change" in result.explain
    reasons = {job.label: job.reason for job in result.plan}
    assert reasons["Core"] == reasons["Always"] == "docs-only change: tests skipped"
    assert reasons["Documentation Build"] == "`docs/index.md` matches `docs/`"


def test_docs_only_skip_can_be_switched_off():
    on = runs(changed_files=("docs/index.md",), docs_skip=False)
    assert on["Always"] and on[":docker: build image"]


def test_a_code_change_next_to_docs_is_not_docs_only():
    assert runs(changed_files=("docs/index.md", "vllm/core/x.py"))["Core"]


def test_run_all_flag_overrides_docs_only():
    assert runs(changed_files=("docs/index.md",), run_all=True)["Core"]


def test_what_a_running_step_depends_on_runs_too():
    text = """\
    steps:
    - label: Prepare
      key: prepare
      source_file_dependencies: [nothing/]
      command: prepare
    - label: Use
      depends_on: prepare
      command: use
    """
    jobs = planned(run(text, changed_files=("x.py",)))
    assert jobs["Use"].runs
    assert jobs["Prepare"].runs and jobs["Prepare"].reason == "needed by `use`"


def test_the_explanation_names_the_file_that_decided():
    jobs = planned(run(STEPS, changed_files=("a.txt", "vllm/core/x.py")))
    assert jobs["Core"].reason == "`vllm/core/x.py` matches `vllm/core`"
    assert jobs["Kernels"].reason == "no changed file matches its source_file_dependencies"


def test_changed_files_order_does_not_matter():
    files = ("vllm/core/x.py", "csrc/a.cu", "tests/kernels/test_attention.py", "z.py")
    assert run(STEPS, changed_files=files).yaml == run(STEPS, changed_files=tuple(reversed(files))).yaml


@FUZZ
@given(
    st.lists(st.text("ab/.\U0010ffff", max_size=8), max_size=30),
    st.text("ab/.\U0010ffff", min_size=1, max_size=4),
    st.lists(st.text("ab/.\U0010ffff", min_size=1, max_size=5), max_size=3),
)
def test_the_first_path_a_prefix_starts_skipping_exclusions(paths, prefix, skip):
    expected = min((p for p in paths if p.startswith(prefix) and not any(p.startswith(s) for s in skip)), default=None)
    assert SortedPaths(paths).first(prefix, skip) == expected


@FUZZ
@given(
    st.lists(st.text("ab/.", min_size=1, max_size=6), min_size=1, max_size=8),
    st.lists(st.text("ab/.", max_size=8), max_size=20),
)
def test_a_job_is_decided_by_the_first_changed_file_any_dependency_prefixes(dependencies, files):
    result = run(
        f"steps:\n- label: S\n  source_file_dependencies: {json.dumps(dependencies)}\n  command: x\n",
        changed_files=tuple(files),
    )
    hits = sorted((f, d) for f in files for d in dependencies if f.startswith(d))
    job = planned(result)["S"]
    if not hits or changes(files, VLLM.single_file_run_all).run_all_file:
        return
    assert job.runs and job.reason.startswith(f"`{hits[0][0]}` matches")
