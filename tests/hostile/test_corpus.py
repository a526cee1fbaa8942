"""The hostile corpus: each file is refused with exactly the problem lines it expects, or accepted.

Every file begins with its expectations, one comment line each:

    # expect refused: <text the problem line holds>    (one per problem line, in order)
    # expect accepted
    # expect warning: <text a warning line holds>      (steps: accepted with this warning)
    # expect failing step: <text the error line holds> (steps: uploaded; that step fails alone with it)

The whole corpus is read in one process under a memory limit and a time limit
per file (tests/hostile/driver.py): a MemoryError, a time-out or a traceback
fails the file.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import REPO

HERE = pathlib.Path(__file__).resolve().parent
QUEUE_FILES = sorted((HERE / "queues").glob("*.yaml"))
STEP_FILES = sorted((HERE / "steps").glob("*.yaml"))


def expectations(path: pathlib.Path) -> list[tuple[str, str]]:
    out = []
    for raw in path.read_bytes().splitlines():
        line = raw.decode("utf-8", "replace")
        if not line.startswith("# expect "):
            break
        kind, _, text = line[len("# expect ") :].partition(":")
        out.append((kind.strip(), text.strip()))
    assert out, f"{path.name} says nothing of what it expects"
    return out


def run_corpus(kind: str, files: list[pathlib.Path], *extra: str) -> dict[str, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.driver", kind, *extra, *map(str, files)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {pathlib.Path(r["file"]).name: r for r in results}


@pytest.fixture(scope="module")
def queue_results():
    return run_corpus("queues", QUEUE_FILES)


@pytest.fixture(scope="module")
def step_results():
    return run_corpus("steps", STEP_FILES, str(REPO / "queues.yaml"))


def check(path: pathlib.Path, result: dict) -> None:
    expected = expectations(path)
    status, lines = result["status"], result["lines"]
    assert status in (0, 2), f"{path.name}: {status}\n" + "\n".join(lines)
    assert not any("Traceback" in line for line in lines), lines
    refusals = [text for kind, text in expected if kind == "refused"]
    if refusals:
        assert status == 2, f"{path.name} was accepted"
        assert len(lines) == len(refusals), lines
        for line, text in zip(lines, refusals, strict=True):
            assert text in line, (line, text)
            assert line.startswith(str(path)), line  # file, then line, key and message
        return
    assert status == 0, lines
    failing = [text for kind, text in expected if kind == "failing step"]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == len(failing), errors
    for line, text in zip(errors, failing, strict=True):
        assert text in line and line.startswith(f"error: {path}"), (line, text)
    if failing:
        return
    warnings = [text for kind, text in expected if kind == "warning"]
    for text in warnings:
        assert any(line.startswith("warning: ") and text in line for line in lines), (text, lines)
    if not warnings:
        assert [kind for kind, _ in expected] == ["accepted"]


def test_the_corpus_is_large_enough():
    assert len(QUEUE_FILES) >= 60 and len(STEP_FILES) >= 25


@pytest.mark.parametrize("path", QUEUE_FILES, ids=lambda p: p.stem)
def test_queues_file(path, queue_results):
    check(path, queue_results[path.name])


@pytest.mark.parametrize("path", STEP_FILES, ids=lambda p: p.stem)
def test_step_file(path, step_results):
    check(path, step_results[path.name])
