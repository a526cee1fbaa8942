"""Benchmarks for issue #5: synth and bootstrap speed, from one run on this machine.

    python -m scripts.bench [--rounds N] [--no-append]      (make bench)

Synth: `python main.py` on the default queues.yaml, in a subprocess, three ways:
  project  the project's path (lazy imports, slim assemblies), warm cache
  lazy     lazy imports but the full assemblies (CI_TOOLKIT_SLIM_ASSEMBLIES=0)
  eager    the usual imports (CI_TOOLKIT_EAGER_PROVIDERS=1)
run in alternating order for N rounds (median reported), plus one run of the
project's path with an empty toolkit cache (cold: it builds the slim
tarballs). The toolkit cache of all project runs is a fresh temporary folder,
so "warm" means warmed by that cold run, never by an earlier session. The
jsii kernel's own package cache (~/.cache/aws/jsii) is left as it is for all
three paths. Peak memory is the largest sum of RSS over the whole process
tree (python and the jsii node child), sampled from /proc every 10 ms.

Bootstrap: generation time for 1k, 5k and 20k changed files and the process
wall time for the largest shared fixture, measured by scripts/bench_bootstrap.py
(its `measure()`; "n/a" where ../shared/fixtures is absent).

A dated row goes to BENCHMARKS.md (with the CPU count and the load average,
since this machine is shared), and the README's speed table is rewritten from
it. Timings are never asserted by tests.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from constructs_lib.atomic_file import write_atomically
from scripts import synth_process

REPO = pathlib.Path(__file__).resolve().parent.parent

BENCHMARKS = REPO / "BENCHMARKS.md"
QUEUES = REPO / "queues.yaml"
BOOTSTRAP_SIZES = (1000, 5000, 20000)
SAMPLE_SECONDS = 0.01
MODES = {
    "project": {},
    "lazy": {"CI_TOOLKIT_SLIM_ASSEMBLIES": "0"},
    "eager": {"CI_TOOLKIT_EAGER_PROVIDERS": "1"},
}
TABLE_HEAD = """\
# Benchmarks

Rows appended by `make bench` (scripts/bench.py); newest last. Synth: `python main.py`
on the default queues.yaml, median of the alternating runs; memory is the peak sum of
RSS over the process tree (python + jsii node). "project" = lazy imports + slim
assemblies with a warm toolkit cache; "cold" = the same with an empty toolkit cache
(builds the slim tarballs); "lazy" = lazy imports, full assemblies; "eager" = usual
imports. Bootstrap: in-process generation time by number of changed files, and the
process wall time, on the largest shared fixture. "load" is the 1-minute load average
at the start: the machine is shared, so compare rows with similar load. Targets (issue
#5): project <= 20% of eager time and < 8 s, peak memory <= 50% of eager; generation
< 100 ms at 20k and at most 2x the 1k figure; bootstrap process < 400 ms.

| date | CPUs | load | runs | project s / MB | cold s / MB | lazy s / MB | eager s / MB | project/eager time / memory | bootstrap 1k / 5k / 20k ms | bootstrap process ms |
|---|---|---|---|---|---|---|---|---|---|---|
"""


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over `root` and all its descendants (KiB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def measure(cmd: list[str], env: dict[str, str], cwd: pathlib.Path = REPO) -> tuple[float, float]:
    """Wall seconds and peak process-tree RSS (MB) of one command; exits on failure."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kib(process.pid))
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed (exit {process.returncode}):\n{stderr}")
    return wall, peak / 1024


def synth_env(mode: str, cache: pathlib.Path) -> dict[str, str]:
    env = synth_process.environment()
    for name in ("CI_TOOLKIT_SLIM_ASSEMBLIES", "CI_TOOLKIT_EAGER_PROVIDERS", "CDKTF_OUTDIR"):
        env.pop(name, None)
    env["CI_TOOLKIT_CACHE_DIR"] = str(cache)
    env.update(MODES[mode])
    return env


def synth_figures(rounds: int, work: pathlib.Path) -> dict[str, tuple[float, float]]:
    cache = work / "cache"
    runs: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}

    def synth(mode: str, label: str) -> tuple[float, float]:
        outdir = work / f"out-{label}"
        figure = measure(
            [sys.executable, "main.py", "--queues", str(QUEUES), "--outdir", str(outdir)], synth_env(mode, cache)
        )
        print(f"  {label:<10} {figure[0]:6.2f} s {figure[1]:7.0f} MB", flush=True)
        return figure

    print(f"synth of {QUEUES.name}: 1 cold run, then {rounds} alternating rounds", flush=True)
    cold = synth("project", "cold")
    order = list(MODES)
    for round_ in range(rounds):
        for mode in order[round_ % len(order) :] + order[: round_ % len(order)]:
            runs[mode].append(synth(mode, mode))
    reference = files_of(work / "out-cold")
    for mode in MODES:
        if files_of(work / f"out-{mode}") != reference:
            sys.exit(f"bench: the {mode} synth differs from the project's")
    figures = {
        mode: (statistics.median(w for w, _ in r), statistics.median(m for _, m in r)) for mode, r in runs.items()
    }
    figures["cold"] = cold
    return figures


def files_of(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def bootstrap_figures() -> tuple[dict[str, Any] | None, str]:
    """scripts/bench_bootstrap.py's figures and its report, or None and why not."""
    from scripts import bench_bootstrap

    try:
        figures = bench_bootstrap.measure(sizes=BOOTSTRAP_SIZES)
    except SystemExit as err:  # no shared fixtures on this machine
        return None, f"bootstrap   not measured: {err}"
    figures["generation_ms"] = {size: figures[f"generate_{size}_ms"] for size in BOOTSTRAP_SIZES}
    return figures, bench_bootstrap.report(figures)


def verdicts(synth: dict[str, tuple[float, float]], boot: dict[str, Any] | None) -> list[str]:
    project, eager = synth["project"], synth["eager"]
    time_ratio, memory_ratio = project[0] / eager[0], project[1] / eager[1]
    lines = [
        f"synth time  {project[0]:.2f} s vs eager {eager[0]:.2f} s: {time_ratio:.1%} "
        f"({'met' if time_ratio <= 0.2 and project[0] < 8 else 'NOT met'}: <= 20% and < 8 s)",
        f"synth peak  {project[1]:.0f} MB vs eager {eager[1]:.0f} MB: {memory_ratio:.1%} "
        f"({'met' if memory_ratio <= 0.5 else 'NOT met'}: <= 50%)",
        f"cold cache  {synth['cold'][0]:.2f} s, {synth['cold'][1]:.0f} MB (first run after a binding or table change)",
    ]
    if boot is not None:
        generation = boot["generation_ms"]
        largest, smallest = generation[max(generation)], generation[min(generation)]
        lines.append(
            f"bootstrap   generation {' / '.join(f'{generation[s]:.1f}' for s in sorted(generation))} ms for "
            f"{' / '.join(f'{s // 1000}k' for s in sorted(generation))} changed files "
            f"({'met' if largest < 100 and largest <= 2 * smallest else 'NOT met'}: < 100 ms at 20k, at most 2x from 1k)"
        )
        lines.append(
            f"bootstrap   process {boot['process_ms']:.0f} ms ({'met' if boot['process_ms'] < 400 else 'NOT met'}: < 400 ms)"
        )
    return lines


def row(synth: dict[str, tuple[float, float]], boot: dict[str, Any] | None, rounds: int, load: float) -> str:
    def pair(mode: str) -> str:
        return f"{synth[mode][0]:.2f} / {synth[mode][1]:.0f}"

    ratio = f"{synth['project'][0] / synth['eager'][0]:.1%} / {synth['project'][1] / synth['eager'][1]:.1%}"
    if boot is None:
        generation, process = "n/a", "n/a"
    else:
        generation = " / ".join(f"{boot['generation_ms'][s]:.1f}" for s in sorted(boot["generation_ms"]))
        process = f"{boot['process_ms']:.0f}"
    cells = [
        datetime.date.today().isoformat(),
        str(os.cpu_count()),
        f"{load:.1f}",
        str(rounds),
        pair("project"),
        pair("cold"),
        pair("lazy"),
        pair("eager"),
        ratio,
        generation,
        process,
    ]
    return "| " + " | ".join(cells) + " |\n"


README = REPO / "README.md"
README_START = "<!-- speed table: written by make bench from the last row of BENCHMARKS.md -->\n"
README_END = "<!-- end of speed table -->\n"


def last_row(benchmarks: str) -> list[str]:
    """The cells of BENCHMARKS.md's newest row."""
    rows = [line for line in benchmarks.splitlines() if re.match(r"^\| \d{4}-\d\d-\d\d \|", line)]
    if not rows:
        raise ValueError("BENCHMARKS.md has no dated row")
    return [cell.strip() for cell in rows[-1].strip("|").split("|")]


def readme_table(cells: list[str]) -> str:
    """The README's speed table, from the cells of one BENCHMARKS.md row."""
    date, cpus, load, _runs, project, cold, _lazy, eager, _ratio, generation, process = cells

    def unit(pair: str) -> str:
        seconds, megabytes = pair.split(" / ")
        return f"{seconds} s / {megabytes} MB"

    return (
        f"| measure ({date}, {cpus} CPUs, load {load}) | this project | usual eager imports |\n"
        "|---|---|---|\n"
        f"| `python main.py`, default queues.yaml: wall time / peak memory (python + node) | {unit(project)} | {unit(eager)} |\n"
        f"| same, first run with a cold slim-assembly cache | {unit(cold)} | |\n"
        f"| bootstrap generation, largest fixture, 1k / 5k / 20k changed files | {generation} ms | |\n"
        f"| bootstrap, whole process, 20k changed files | {process} ms | |\n"
    )


def with_table(readme: str, table: str) -> str:
    """`readme` with the text between the speed-table markers replaced by `table`."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError("README.md lacks the speed-table markers")
    return readme[: start + len(README_START)] + "\n" + table + "\n" + readme[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per synth path (default 3, at least 3 for the record)"
    )
    parser.add_argument("--no-append", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        synth = synth_figures(args.rounds, pathlib.Path(work))
    print()
    boot, boot_report = bootstrap_figures()
    print(boot_report)
    print()
    for line in verdicts(synth, boot):
        print(line)
    if args.no_append or args.rounds < 3:
        print("(BENCHMARKS.md left alone)")
        return 0
    if not BENCHMARKS.exists():
        BENCHMARKS.write_text(TABLE_HEAD, encoding="utf-8")
    line = row(synth, boot, args.rounds, load)
    with BENCHMARKS.open("a", encoding="utf-8") as fh:
        fh.write(line)
    table = readme_table(last_row(line))
    write_atomically(str(README), with_table(README.read_text(encoding="utf-8"), table))
    print(f"row appended to {BENCHMARKS.relative_to(REPO)}; the README's speed table now shows it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
