"""The command line: read the step files, queues.yaml and changed files; write the pipeline.

    python -m constructs_lib.bootstrap --pipeline .buildkite/test-pipeline.yaml \\
        --queues queues.yaml --changed-files changed.txt --branch my-feature \\
        --output pipeline.yaml --explain summary.md

Bad input: exit status 2 and one line per problem on stderr (file, line, key
path). Outputs are written whole or not at all (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Optional, Sequence

from constructs_lib.atomic_file import check_writable, write_all
from constructs_lib.bootstrap import controls, formats, interpolation, lenient_yaml
from constructs_lib.bootstrap.controls import HIGH_PRIORITY, ONLY_KEYS_ENV
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.bootstrap.profile import Profile
from constructs_lib.bootstrap.profiles.vllm import VLLM
from constructs_lib.queues import trust
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.problems import LoadError, Problem
from constructs_lib.queues.strict_yaml import read_file

STDIO = "-"


def read_source(path: str, profile: Profile = VLLM) -> formats.Source:
    """The test steps of a test-pipeline.yaml or of a ci_config.yaml's job directories, with the repository's profile."""
    return dataclasses.replace(_read_steps(path, profile), present=checkout_files(path, profile))


def checkout_files(step_file: str, profile: Profile) -> Optional[frozenset[str]]:
    """Which of the paths the generator's commands name the tested checkout holds (None: no checkout)."""
    root = _checkout_root(step_file)
    if root is None:
        return None
    return frozenset(p for p in profile.all_checkout_paths if os.path.isfile(os.path.join(root, p)))


def _checkout_root(step_file: str) -> Optional[str]:
    """The parent of the `.buildkite` folder a step file stands in (absolute), if it stands in one."""
    directory = os.path.dirname(os.path.abspath(step_file))
    while os.path.basename(directory) != ".buildkite":
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return os.path.dirname(directory)


def _read_steps(path: str, profile: Profile) -> formats.Source:
    doc, warnings = lenient_yaml.load(read_file(path), path)
    if not formats.is_ci_config(doc):
        return formats.single_file(doc, warnings, profile)
    config = formats.ci_config(doc, warnings, profile)
    root = repository_root(path)
    real_root = os.path.realpath(root)
    job_files = []
    problems: list[Problem] = []
    seen: set[str] = set()
    dir_warnings: list[Problem] = []
    total = 0
    for job_dir, line in config.job_dirs:
        directory = os.path.join(root, job_dir)
        real = os.path.realpath(directory)
        if os.path.isabs(job_dir) or ".." in job_dir.replace("\\", "/").split("/") or not _inside(real, real_root):
            problems.append(
                Problem(
                    path,
                    line,
                    "job_dirs",
                    f"{job_dir!r} is not a folder inside the repository (no absolute path, .. or link out)",
                )
            )
            continue
        if not os.path.isdir(directory):
            problems.append(
                Problem(path, line, "job_dirs", f"{job_dir!r} is not a directory under the repository root {root}")
            )
            continue
        if real in seen:
            dir_warnings.append(Problem(path, line, "job_dirs", f"{job_dir!r} is listed already; read once"))
            continue
        seen.add(real)
        for file in _yaml_files(directory):
            relative = os.path.relpath(file, root).replace(os.sep, "/")
            if not _inside(os.path.realpath(file), real_root):
                problems.append(Problem(file, 0, "", "a link to outside the repository; not read"))
                continue
            try:
                data = read_file(file)
            except LoadError as err:
                problems.extend(err.problems)
                continue
            total += len(data)
            if total > MAX_STEP_BYTES:
                raise LoadError(
                    problems
                    + [
                        Problem(
                            path,
                            line,
                            "job_dirs",
                            f"the job files hold more than {MAX_STEP_BYTES // 2**20} MiB "
                            "together; nothing was read further",
                        )
                    ]
                )
            try:
                job_doc, job_warnings = lenient_yaml.load(data, file)
            except LoadError as err:
                problems.extend(err.problems)
                continue
            job_files.append((job_doc, relative, job_warnings))
    if problems:
        raise LoadError(problems)
    return formats.current_layout(
        dataclasses.replace(config, warnings=config.warnings + tuple(dir_warnings)), job_files
    )


# All job files of a build together: what a real tree holds many times over (vLLM's: under 1 MiB).
MAX_STEP_BYTES = 8 * 2**20


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def repository_root(config_path: str) -> str:
    """The parent of the `.buildkite` directory that holds the ci_config.yaml."""
    root = _checkout_root(config_path)
    if root is None:
        raise LoadError(
            [Problem(config_path, 0, "", "a ci_config.yaml must be inside the repository's .buildkite directory")]
        )
    # Keep the form the path was given in, for readable problem lines.
    given = os.path.dirname(os.path.dirname(config_path))
    return given if os.path.abspath(given or ".") == root else root


def _yaml_files(directory: str) -> list[str]:
    return sorted(os.path.join(base, f) for base, _, files in os.walk(directory) for f in files if f.endswith(".yaml"))


def read_changed_files(path: Optional[str]) -> tuple[tuple[str, ...], tuple[Problem, ...]]:
    """The changed paths, and a warning for each name that is not UTF-8.

    One path per line, or NUL-separated (`git diff -z`) when the data holds a
    NUL: only then can a name hold a newline. A name that is not UTF-8 is
    kept with its bad bytes written `\\xNN`, so that it still matches the
    folders it lies in.
    """
    if path is None:
        return (), ()
    display = "<stdin>" if path == STDIO else path
    if path == STDIO:
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as err:
            raise LoadError([Problem(display, 0, "", f"cannot read: {err.strerror}")]) from None
    separator = b"\0" if b"\0" in data else b"\n"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        names, warnings = [], []
        for number, raw in enumerate(data.split(separator), 1):
            try:
                names.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                name = raw.decode("utf-8", "backslashreplace")
                names.append(name)
                warnings.append(
                    Problem(display, number, "", f"changed file name {name!r} is not UTF-8; matched as written here")
                )
        return _clean(names, separator), tuple(warnings)
    return _clean(text.split(separator.decode()), separator), ()


def _clean(names: list[str], separator: bytes) -> tuple[str, ...]:
    if separator == b"\0":
        return tuple(n for n in names if n)
    return tuple(n.rstrip("\r") for n in names if n.strip())


# The on/off controls of vLLM's generator: each a flag, on by default when its variable is "1".
SWITCHES = (
    ("--run-all", "RUN_ALL", "run every step that is not optional, as if a run-all file changed"),
    ("--nightly", "NIGHTLY", "nightly build: run every step, optional ones too"),
    ("--torch-nightly", "TORCH_NIGHTLY", "run everything, and the torch_nightly steps on a torch-nightly image too"),
    ("--no-docs-skip", "DOCS_ONLY_DISABLE", "run the tests even when only docs changed"),
    ("--noauto", "NOAUTO", "every step waits behind a block step"),
    (
        "--continue-on-failure",
        "CONTINUE_ON_FAILURE",
        "every command of a job runs even when one fails; the job fails at the end",
    ),
    ("--skip-timeouts", "SKIP_TIMEOUT", "no job gets a timeout"),
)


def _arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m constructs_lib.bootstrap", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pipeline", required=True, help="a test-pipeline.yaml, or a ci_config.yaml of the current layout"
    )
    parser.add_argument("--queues", required=True, help="queues.yaml")
    parser.add_argument(
        "--base-pipeline",
        help="the same step file in a copy of the merge base's .buildkite tree: an untrusted build runs a host step "
        "only as the merge base defines it (without it, every host step of an untrusted build waits)",
    )
    parser.add_argument("--changed-files", help="file with one changed path per line, or - for stdin")
    parser.add_argument("--branch", default="", help="the branch being built")
    parser.add_argument("--default-branch", default="main", help="the repository's default branch (default: main)")
    env = os.environ
    parser.add_argument(
        "--pull-request",
        default=env.get("BUILDKITE_PULL_REQUEST"),
        help="the PR number, or false (default: $BUILDKITE_PULL_REQUEST); a PR is never a default-branch build",
    )
    for flag, variable, meaning in SWITCHES:
        parser.add_argument(
            flag, action="store_true", default=env.get(variable) == "1", help=f"{meaning} ({variable}=1)"
        )
    parser.add_argument(
        "--only-step-keys",
        default=env.get(ONLY_KEYS_ENV),
        help=f"a JSON array of step keys: only these run, with what they need ({ONLY_KEYS_ENV})",
    )
    parser.add_argument(
        "--pr-labels",
        default=env.get("PULL_REQUEST_LABELS", ""),
        help=f"the PR's labels, comma-separated; {VLLM.run_all_label} runs everything (PULL_REQUEST_LABELS)",
    )
    parser.add_argument("--registry", help="image registry (default: the ci_config's, else the reference's)")
    parser.add_argument(
        "--repository", help="image repository (default: by branch, from the ci_config or the reference)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a step no declared queue can run stops the bootstrap (for checking a queues.yaml change in CI); "
        "by default it is uploaded as a failing step and everything else runs",
    )
    parser.add_argument(
        "--priority",
        default=env.get("PRIORITY"),
        help=f"Buildkite priority of every job: a whole number, or HIGH ({HIGH_PRIORITY}) (PRIORITY)",
    )
    parser.add_argument(
        "--output",
        help="where to write the pipeline: YAML, or JSON for a path ending .json (what the upload reads); - for stdout (default: - unless --explain prints)",
    )
    parser.add_argument("--explain", nargs="?", const=STDIO, help="write the Markdown summary to PATH, or print it (-)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = None if args.explain == STDIO else STDIO
    elif args.output == STDIO and args.explain == STDIO:
        parser.error("--output - and --explain - would both print; give one of them a file")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _arguments(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    outputs = [
        (path, option)
        for path, option in ((args.output, "--output"), (args.explain, "--explain"))
        if path and path != STDIO
    ]
    try:
        _check_distinct(args, outputs)
        for path, option in outputs:  # before any work: a bad output path writes nothing at all
            _check_output(path, option)
        model = load_queues(args.queues)
        source = read_source(args.pipeline)
        changed, changed_warnings = read_changed_files(args.changed_files)
        base_source, base_warnings = _base_source(args.base_pipeline, source.profile)
        changed_warnings += base_warnings
        options = Options(
            changed_files=changed,
            branch=args.branch,
            default_branch=args.default_branch,
            run_all=args.run_all,
            nightly=args.nightly,
            docs_skip=not args.no_docs_skip,
            registry=args.registry,
            repository=args.repository,
            priority=controls.priority(args.priority),
            torch_nightly=args.torch_nightly,
            noauto=args.noauto,
            continue_on_failure=args.continue_on_failure,
            skip_timeouts=args.skip_timeouts,
            only_keys=controls.only_keys(args.only_step_keys),
            pr_labels=tuple(label.strip() for label in args.pr_labels.split(",") if label.strip()),
            strict=args.strict,
            untrusted=not trust.trusted_build({**os.environ, "BUILDKITE_PULL_REQUEST": args.pull_request or ""}),
            pull_request=args.pull_request,
            base_source=base_source,
            # The build's own variables, resolved here: the pipeline is uploaded without interpolation.
            build_variables={k: os.environ[k] for k in interpolation.BUILD_VARIABLES if k in os.environ},
            profile_values={k: os.environ[k] for k in source.profile.bootstrap_variables if k in os.environ},
        )
        result = generate(source, model, options)
    except LoadError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2
    except MemoryError:
        print(
            f"{args.pipeline}: the step files need more memory than this machine has; nothing was written",
            file=sys.stderr,
        )
        return 2
    for warning in changed_warnings + result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    pipeline = result.json if str(args.output).endswith(".json") else result.yaml
    texts = {"--output": pipeline, "--explain": result.explain}
    try:
        write_all([(path, texts[option]) for path, option in outputs])
    except OSError as err:  # a full or read-only disk: every output is as it was
        print(Problem(err.filename or "output", 0, "", f"cannot write: {err.strerror or err}"), file=sys.stderr)
        return 2
    for path, text in ((args.output, pipeline), (args.explain, result.explain)):
        if path == STDIO:
            sys.stdout.write(text)
    return 0


def _base_source(path: Optional[str], profile: Profile) -> tuple[Optional[formats.Source], tuple[Problem, ...]]:
    """The merge base's steps; a base that cannot be read is a warning (its host steps then wait), never a stop."""
    if path is None:
        return None, ()
    try:
        return _read_steps(path, profile), ()
    except LoadError as err:
        first = err.problems[0]
        return None, (
            Problem(
                first.file,
                first.line,
                first.path,
                f"the merge base's step files cannot be read ({first.message}); "
                "an untrusted build's host steps wait for a maintainer",
            ),
        )


def _check_distinct(args: argparse.Namespace, outputs: list[tuple[str, str]]) -> None:
    """An output may not be an input, nor the other output: the run would destroy what it reads, or half its work."""
    inputs = [
        (p, o)
        for p, o in (
            (args.pipeline, "--pipeline"),
            (args.queues, "--queues"),
            (args.changed_files, "--changed-files"),
            (args.base_pipeline, "--base-pipeline"),
        )
        if p and p != STDIO
    ]
    problems = []
    for index, (path, option) in enumerate(outputs):
        if os.path.exists(path) and not os.path.isfile(path):
            continue  # a device or FIFO (/dev/null): written in place, destroys nothing
        real = os.path.realpath(path)
        for other, other_option in inputs + outputs[:index]:
            if os.path.realpath(other) == real:
                problems.append(Problem(option, 0, "", f"{path} is also {other_option}; give it a file of its own"))
    if problems:
        raise LoadError(problems)


def _check_output(path: str, option: str) -> None:
    try:
        check_writable(path)
    except OSError as err:
        raise LoadError([Problem(option, 0, "", f"cannot write {path}: {err.strerror or err}")]) from None
