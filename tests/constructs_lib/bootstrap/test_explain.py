"""The Markdown summary: what runs, what waits and why, jobs per queue, warnings."""

from __future__ import annotations

from .helpers import run

STEPS = """\
steps:
- label: Core | pipes
  source_file_dependencies: [vllm/core/]
  command: a
- label: Kernels
  num_gpus: 4
  source_file_dependencies: [csrc/]
  command: b
  shiny: true
"""


def test_runs_and_blocked_with_reasons():
    text = run(STEPS, changed_files=("vllm/core/x.py",)).explain
    runs, blocked = text.split("#### Runs")[1].split("#### Blocked")
    assert "| Core \\| pipes | `gpu_1_queue` | `vllm/core/x.py` matches `vllm/core/` |" in runs
    assert "| Kernels | `gpu_4_queue` | no changed file matches its source_file_dependencies |" in blocked


def test_jobs_per_queue():
    text = run(STEPS, changed_files=("vllm/core/x.py",)).explain
    table = text.split("#### Jobs per queue")[1]
    assert "| `gpu_1_queue` | 1 | 0 |" in table
    assert "| `gpu_4_queue` | 0 | 1 |" in table


def test_warnings_are_in_the_summary():
    text = run(STEPS).explain
    assert "#### Warnings" in text and "unknown step field 'shiny'" in text


def test_run_all_and_branch_are_stated():
    text = run(STEPS, changed_files=("setup.py",), branch="main").explain
    assert "run-all because `setup.py` changed" in text and "default branch" in text


def test_a_changed_file_name_with_backticks_stays_inside_its_code_span():
    from constructs_lib.bootstrap.markdown import code_span

    hostile = "a`b ![x](https://evil.example/p.png) ``c"
    span = code_span(hostile)
    assert span == f"``` {hostile} ```"  # fenced by more backticks than any run inside
    assert code_span("plain/path.py") == "`plain/path.py`"


def test_the_summary_shows_a_hostile_file_name_as_code():
    text = "steps:\n- label: A\n  source_file_dependencies: [docs/]\n  commands: [a]\n"
    name = "docs/`![x](https://evil.example/p.png)`.md"
    summary = run(text, changed_files=(name,), branch="feature").explain
    assert f"`` {name} ``" in summary
