"""The bootstrap benchmark runs and reports every figure (no timing is asserted)."""

from __future__ import annotations

from scripts import bench_bootstrap
from tests.conftest import shared_path


def test_measure_reports_every_figure():
    figures = bench_bootstrap.measure(shared_path(), runs=1, sizes=(10, 20))
    assert figures["fixture"].endswith(".yaml") and figures["steps"] > 0
    for key in (
        "generate_10_ms",
        "generate_20_ms",
        "ratio_largest_smallest",
        "process_ms",
        "imports_only_ms",
        "python_only_ms",
    ):
        assert figures[key] > 0, key
    text = bench_bootstrap.report(figures)
    assert "generation," in text and "ratio" in text and "whole process" in text


def test_changed_files_are_deterministic_and_never_run_all():
    from constructs_lib.bootstrap.profiles.vllm import VLLM
    from constructs_lib.bootstrap.selection import changes

    files = bench_bootstrap.changed_files(2_000)
    assert files == bench_bootstrap.changed_files(2_000) and len(set(files)) == 2_000
    assert changes(files, VLLM.single_file_run_all).run_all_file is None
