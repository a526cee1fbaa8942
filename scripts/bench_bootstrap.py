"""Bootstrap benchmark: pipeline generation by diff size, and the whole bootstrap process.

    python -m scripts.bench_bootstrap [--shared ../shared/fixtures] [--runs 5]

On the largest shared test-pipeline.yaml it prints the in-process generation
time (median of --runs) for 1,000, 5,000 and 20,000 changed files, the ratio
20k/1k, and the wall time of the generator's process for the 20,000-file
diff (median of 3 x --runs), writing JSON as scripts/bootstrap.sh does, next
to the time the process needs to start and import the generator. `measure()` returns the same figures for `make bench`.

The changed files are synthetic but shaped like vLLM's tree (deterministic,
seeded, spread over 2,000 directories): they select steps and never hit a
run-all pattern, so every file is looked up.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.queues.loader import load_queues

REPO = Path(__file__).resolve().parent.parent

SIZES = (1_000, 5_000, 20_000)
# The generator's process up to its first step of work: its __main__ makes its
# settings and imports everything, then --help ends it.
IMPORTS_ONLY = [sys.executable, "-m", "constructs_lib.bootstrap", "--help"]
ROOTS = ("vllm", "tests", "benchmarks", "examples", "tools", "vllm/v1", "vllm/model_executor", "tests/v1")
DIRS = (
    "core",
    "engine",
    "worker",
    "attention",
    "layers",
    "models",
    "distributed",
    "entrypoints",
    "lora",
    "spec_decode",
    "quantization",
    "multimodal",
    "utils",
    "executor",
    "sample",
    "kv_cache",
    "compile",
    "platforms",
    "openai",
    "tokenizers",
)


def largest_fixture(shared: Path) -> Path:
    files = sorted((shared / "vllm-test-pipelines").glob("*.yaml"))
    if not files:
        raise SystemExit(f"no shared fixtures under {shared}")
    return max(files, key=lambda p: p.stat().st_size)


def changed_files(count: int, seed: int = 4, directories: int = 2_000) -> tuple[str, ...]:
    """`count` paths in a tree of `directories` directories, about the size of vLLM's."""
    rng = random.Random(seed)
    tree = sorted(
        {
            "/".join([rng.choice(ROOTS)] + [rng.choice(DIRS) for _ in range(rng.randint(1, 3))])
            for _ in range(directories)
        }
    )
    return tuple(f"{rng.choice(tree)}/file_{i}.py" for i in range(count))


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(
    shared: Path = REPO.parent / "shared" / "fixtures", runs: int = 5, sizes: tuple[int, ...] = SIZES
) -> dict[str, Any]:
    fixture = largest_fixture(shared)
    # The largest fixture is of the 2024 layout: the fleet it was routed to.
    queues = REPO / "examples" / "queues-vllm-2024.yaml"
    model = load_queues(queues)
    source = read_source(str(fixture))
    figures: dict[str, Any] = {
        "fixture": fixture.name,
        "steps": len(source.steps),
        "runs": runs,
        "cpus": os.cpu_count(),
    }
    for size in sizes:
        options = Options(changed_files=changed_files(size), branch="feature")
        generate(source, model, options)  # the first call builds the SDK's and the schema's validators
        figures[f"generate_{size}_ms"] = 1000 * _median_seconds(
            functools.partial(generate, source, model, options), runs
        )
    figures["ratio_largest_smallest"] = figures[f"generate_{sizes[-1]}_ms"] / figures[f"generate_{sizes[0]}_ms"]
    with tempfile.TemporaryDirectory() as tmp:
        diff = Path(tmp) / "changed.txt"
        diff.write_text("\n".join(changed_files(sizes[-1])) + "\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "constructs_lib.bootstrap",
            "--pipeline",
            str(fixture),
            "--queues",
            str(queues),
            "--changed-files",
            str(diff),
            "--branch",
            "feature",
            "--output",
            str(Path(tmp) / "pipeline.json"),
        ]
        # A process is short and the machine noisy: more runs than in-process.
        process_runs = 3 * runs
        figures["process_ms"] = 1000 * _median_seconds(
            lambda: subprocess.run(command, cwd=REPO, check=True, capture_output=True), process_runs
        )
        figures["imports_only_ms"] = 1000 * _median_seconds(
            lambda: subprocess.run(IMPORTS_ONLY, cwd=REPO, check=True, stdout=subprocess.DEVNULL), process_runs
        )
        figures["python_only_ms"] = 1000 * _median_seconds(
            lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), process_runs
        )
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"bootstrap: {figures['fixture']} ({figures['steps']} steps), median of {figures['runs']}, {figures['cpus']} CPUs"
    ]
    for key, value in figures.items():
        if key.startswith("generate_"):
            size = key.split("_")[1]
            lines.append(f"  generation, {int(size):>6,} changed files: {value:7.1f} ms")
    lines.append(f"  largest / smallest diff generation ratio: {figures['ratio_largest_smallest']:.2f}")
    lines.append(f"  whole process, largest diff:          {figures['process_ms']:7.1f} ms")
    lines.append(
        f"    of which starting Python and importing the generator (pyyaml, pydantic, jsonschema-rs):"
        f" {figures['imports_only_ms']:.1f} ms (Python alone {figures['python_only_ms']:.1f} ms)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "fixtures")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(report(measure(args.shared, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
