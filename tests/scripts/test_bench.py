"""The README's speed table is BENCHMARKS.md's last row (make bench writes both)."""

from __future__ import annotations

import pytest

from scripts import bench
from tests.conftest import REPO

ROW = "| 2031-01-02 | 4 | 0.5 | 3 | 1.50 / 240 | 8.00 / 760 | 6.00 / 1170 | 26.00 / 2040 | 5.8% / 11.8% | 20.1 / 20.2 / 25.3 | 301 |"


def test_table_from_a_row():
    table = bench.readme_table(
        bench.last_row("# Benchmarks\n\n| date | CPUs |\n|---|---|\n| 2030-01-01 | 2 | x |\n" + ROW + "\n")
    )
    assert table.splitlines() == [
        "| measure (2031-01-02, 4 CPUs, load 0.5) | this project | usual eager imports |",
        "|---|---|---|",
        "| `python main.py`, default queues.yaml: wall time / peak memory (python + node) | 1.50 s / 240 MB | 26.00 s / 2040 MB |",
        "| same, first run with a cold slim-assembly cache | 8.00 s / 760 MB | |",
        "| bootstrap generation, largest fixture, 1k / 5k / 20k changed files | 20.1 / 20.2 / 25.3 ms | |",
        "| bootstrap, whole process, 20k changed files | 301 ms | |",
    ]


def test_only_the_marked_section_is_replaced():
    readme = f"intro\n{bench.README_START}\nold table\n\n{bench.README_END}after\n"
    assert bench.with_table(readme, "T\n") == f"intro\n{bench.README_START}\nT\n\n{bench.README_END}after\n"
    with pytest.raises(ValueError):
        bench.with_table("no markers\n", "T\n")
    with pytest.raises(ValueError):
        bench.last_row("| date | CPUs |\n|---|---|\n")


def test_readme_shows_the_last_benchmark_row():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = bench.readme_table(bench.last_row((REPO / "BENCHMARKS.md").read_text(encoding="utf-8")))
    assert bench.with_table(readme, table) == readme, "run make bench, or copy the table from BENCHMARKS.md's last row"
