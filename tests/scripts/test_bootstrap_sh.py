"""scripts/bootstrap.sh end to end, in a temporary git repository with a real merge base.

The real buildkite-agent cannot be installed here: a stand-in on PATH records
each call's arguments, standard input and the files it was given.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "scripts" / "bootstrap.sh"

STAND_IN = """\
#!{python}
import json, os, sys
log = os.environ["STAND_IN_LOG"]
call = {{"args": sys.argv[1:], "stdin": "" if sys.stdin.isatty() else sys.stdin.read(), "files": {{}}}}
for arg in sys.argv[1:]:
    if os.path.isfile(arg):
        call["files"][arg] = open(arg, encoding="utf-8").read()
with open(log, "a", encoding="utf-8") as fh:
    fh.write(json.dumps(call) + "\\n")
if sys.argv[1:3] == ["pipeline", "upload"] and os.environ.get("STAND_IN_FAIL_UPLOAD"):
    sys.exit(1)
"""

PIPELINE = """\
steps:
- label: Core
  source_file_dependencies: [vllm/core/]
  commands: [pytest -v -s core]
- label: Docs
  source_file_dependencies: [docs/]
  command: make docs
- label: Untracked
  source_file_dependencies: [scratch/]
  command: pytest scratch
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")


def git(cwd, *args, check=True) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check)
    return done.stdout


def commit(cwd, files: dict[str, str], message: str) -> None:
    for name, content in files.items():
        path = pathlib.Path(cwd) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
        git(cwd, "add", "--", name)
    git(cwd, "commit", "-q", "-m", message)


@pytest.fixture
def world(tmp_path):
    """An upstream repository with a main branch, a clone of it, and the stand-in agent."""
    upstream, clone, bin_dir = tmp_path / "upstream", tmp_path / "clone", tmp_path / "bin"
    upstream.mkdir()
    bin_dir.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    commit(upstream, {".buildkite/test-pipeline.yaml": PIPELINE, "vllm/core/a.py": "a\n", "docs/index.md": "# x\n"}, "initial")
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    agent = bin_dir / "buildkite-agent"
    agent.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    agent.chmod(0o755)
    return {"upstream": upstream, "clone": clone, "bin": bin_dir, "log": tmp_path / "agent.log", "tmp": tmp_path}


def bootstrap(world, branch: str, **env) -> tuple[subprocess.CompletedProcess, list[dict]]:
    environment = {
        **os.environ,
        "PATH": f"{world['bin']}{os.pathsep}{os.environ['PATH']}",
        "STAND_IN_LOG": str(world["log"]),
        "BUILDKITE_BRANCH": branch,
        "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
        "PYTHON": sys.executable,
        "GIT_CONFIG_GLOBAL": os.devnull,
        **env,
    }
    done = subprocess.run(["bash", str(BOOTSTRAP)], cwd=world["clone"], env=environment, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    calls = [json.loads(line) for line in world["log"].read_text().splitlines()] if world["log"].exists() else []
    return done, calls


def uploaded(calls) -> dict:
    (upload,) = [c for c in calls if c["args"][:2] == ["pipeline", "upload"]]
    (content,) = upload["files"].values()
    return yaml.safe_load(content)


def annotations(calls) -> list[tuple[str, str, str]]:
    out = []
    for call in calls:
        if call["args"][0] == "annotate":
            args = call["args"]
            out.append((args[args.index("--style") + 1], args[args.index("--context") + 1], call["stdin"]))
    return out


def blocked(pipeline: dict) -> set[str]:
    return {s["key"][len("block-"):] for s in pipeline["steps"] if "block" in s}


def test_feature_branch_against_the_merge_base(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "feature")
    commit(clone, {"vllm/core/a.py": "changed\n"}, "feature work")
    # Upstream moves on: its change is not part of this branch's diff.
    commit(world["upstream"], {"docs/index.md": "# moved on\n"}, "upstream work")
    # Work that is not committed must not count, and the bootstrap must not stage it.
    (clone / "scratch").mkdir()
    (clone / "scratch" / "new.py").write_text("x\n")
    (clone / "docs" / "index.md").write_text("# edited, not committed\n")
    status_before = git(clone, "status", "--porcelain")

    done, calls = bootstrap(world, "feature")
    assert done.returncode == 0, done.stderr
    pipeline = uploaded(calls)
    assert blocked(pipeline) == {"docs", "untracked"}
    assert any(s.get("key") == "core" for s in pipeline["steps"])
    assert git(clone, "status", "--porcelain") == status_before  # nothing staged, nothing changed
    ((style, context, body),) = annotations(calls)
    assert (style, context) == ("info", "pipeline")
    assert "`vllm/core/a.py` matches `vllm/core/`" in body
    # The freshly fetched default branch was used for the merge base.
    assert git(clone, "rev-parse", "refs/remotes/origin/main") == git(world["upstream"], "rev-parse", "main")


def test_default_branch_against_the_previous_commit(world):
    clone = world["clone"]
    commit(clone, {"docs/guide.md": "# new\n", "vllm/other.py": "x\n"}, "docs and code")
    commit(clone, {"docs/index.md": "# only docs\n"}, "docs only")
    done, calls = bootstrap(world, "main")
    assert done.returncode == 0, done.stderr
    pipeline = uploaded(calls)
    # Only the last commit counts: a docs-only change, so the tests wait.
    assert blocked(pipeline) >= {"core", "docs", "untracked"}
    assert "Docs-only change" in annotations(calls)[-1][2]


def test_missing_merge_base_runs_everything_with_a_warning(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "--orphan", "unrelated")
    git(clone, "rm", "-q", "-r", "--cached", ".")
    commit(clone, {".buildkite/test-pipeline.yaml": PIPELINE, "other.txt": "x\n"}, "unrelated history")
    done, calls = bootstrap(world, "unrelated")
    assert done.returncode == 0, done.stderr
    assert not blocked(uploaded(calls))
    warnings = [a for a in annotations(calls) if a[0] == "warning"]
    assert len(warnings) == 1 and "no merge base with origin/main" in warnings[0][2]


def test_bad_step_file_annotates_an_error_and_uploads_nothing(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "broken")
    commit(clone, {".buildkite/test-pipeline.yaml": PIPELINE + "- label: Exotic\n  gpu: nothing-offers-this\n  command: x\n"}, "bad")
    done, calls = bootstrap(world, "broken")
    assert done.returncode != 0
    assert not [c for c in calls if c["args"][:2] == ["pipeline", "upload"]]
    ((style, context, body),) = annotations(calls)
    assert (style, context) == ("error", "bootstrap")
    assert ".buildkite/test-pipeline.yaml:11: steps[3]: no declared queue can run 'Exotic'" in body
    assert "Traceback" not in done.stderr + body


def test_failed_upload_is_an_error(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "feature")
    commit(clone, {"vllm/core/a.py": "changed\n"}, "feature work")
    done, calls = bootstrap(world, "feature", STAND_IN_FAIL_UPLOAD="1")
    assert done.returncode != 0
    assert [a[:2] for a in annotations(calls)] == [("error", "bootstrap")]


def test_run_all_and_nightly_from_the_environment(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "feature")
    commit(clone, {"vllm/core/a.py": "changed\n"}, "feature work")
    done, calls = bootstrap(world, "feature", RUN_ALL="1")
    assert done.returncode == 0 and not blocked(uploaded(calls))


def test_the_script_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (make tools installs it)")
    done = subprocess.run(["shellcheck", str(BOOTSTRAP)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
