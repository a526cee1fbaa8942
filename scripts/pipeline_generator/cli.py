"""The command line: read the step files, queues.yaml and changed files; write the pipeline.

    python -m scripts.pipeline_generator --pipeline .buildkite/test-pipeline.yaml \\
        --queues queues.yaml --changed-files changed.txt --branch my-feature \\
        --output pipeline.yaml --explain summary.md

Bad input: exit status 2 and one line per problem on stderr (file, line, key
path). Outputs are written whole or not at all (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from constructs_lib.atomic_file import write_atomically
from constructs_lib.loader import load_queues
from constructs_lib.problems import LoadError, Problem
from constructs_lib.strict_yaml import read_file

from scripts.pipeline_generator import formats, lenient_yaml
from scripts.pipeline_generator.generate import Options, generate

STDIO = "-"


def read_source(path: str) -> formats.Source:
    """The test steps of a test-pipeline.yaml or of a ci_config.yaml's job directories."""
    doc, warnings = lenient_yaml.load(read_file(path), path)
    if not formats.is_ci_config(doc):
        return formats.single_file(doc, warnings)
    config = formats.ci_config(doc, warnings)
    root = repository_root(path)
    job_files = []
    problems: list[Problem] = []
    for job_dir, line in config.job_dirs:
        directory = os.path.join(root, job_dir)
        if not os.path.isdir(directory):
            problems.append(Problem(path, line, "job_dirs", f"{job_dir!r} is not a directory under the repository root {root}"))
            continue
        for file in _yaml_files(directory):
            relative = os.path.relpath(file, root).replace(os.sep, "/")
            try:
                job_doc, job_warnings = lenient_yaml.load(read_file(file), file)
            except LoadError as err:
                problems.extend(err.problems)
                continue
            job_files.append((job_doc, relative, job_warnings))
    if problems:
        raise LoadError(problems)
    return formats.current_layout(config, job_files)


def repository_root(config_path: str) -> str:
    """The parent of the `.buildkite` directory that holds the ci_config.yaml."""
    directory = os.path.dirname(os.path.abspath(config_path))
    while True:
        if os.path.basename(directory) == ".buildkite":
            root = os.path.dirname(directory)
            # Keep the form the path was given in, for readable problem lines.
            given = os.path.dirname(os.path.dirname(config_path))
            return given if os.path.abspath(given or ".") == root else root
        parent = os.path.dirname(directory)
        if parent == directory:
            raise LoadError([Problem(config_path, 0, "", "a ci_config.yaml must be inside the repository's .buildkite directory")])
        directory = parent


def _yaml_files(directory: str) -> list[str]:
    return sorted(os.path.join(base, f) for base, _, files in os.walk(directory) for f in files if f.endswith(".yaml"))


def read_changed_files(path: Optional[str]) -> tuple[str, ...]:
    if path is None:
        return ()
    display = "<stdin>" if path == STDIO else path
    if path == STDIO:
        data = sys.stdin.buffer.read()
    else:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as err:
            raise LoadError([Problem(display, 0, "", f"cannot read: {err.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        number = data.count(b"\n", 0, err.start) + 1
        raise LoadError([Problem(display, number, "", "not valid UTF-8")]) from None
    return tuple(line.rstrip("\r") for line in text.split("\n") if line.strip())


def _arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.pipeline_generator", description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", required=True, help="a test-pipeline.yaml, or a ci_config.yaml of the current layout")
    parser.add_argument("--queues", required=True, help="queues.yaml")
    parser.add_argument("--changed-files", help="file with one changed path per line, or - for stdin")
    parser.add_argument("--branch", default="", help="the branch being built")
    parser.add_argument("--default-branch", default="main", help="the repository's default branch (default: main)")
    parser.add_argument("--run-all", action="store_true", help="run every step, as if a run-all file changed")
    parser.add_argument("--nightly", action="store_true", help="nightly build: run every step, optional ones too")
    parser.add_argument("--no-docs-skip", action="store_true", help="run the tests even when only docs changed")
    parser.add_argument("--registry", help="image registry (default: the ci_config's, else the reference's)")
    parser.add_argument("--repository", help="image repository (default: by branch, from the ci_config or the reference)")
    parser.add_argument("--priority", type=int, help="Buildkite priority of every job")
    parser.add_argument("--output", help="where to write the pipeline YAML, or - (default: - unless --explain prints)")
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
        model = load_queues(args.queues)
        source = read_source(args.pipeline)
        options = Options(
            changed_files=read_changed_files(args.changed_files),
            branch=args.branch,
            default_branch=args.default_branch,
            run_all=args.run_all,
            nightly=args.nightly,
            docs_skip=not args.no_docs_skip,
            registry=args.registry,
            repository=args.repository,
            priority=args.priority,
        )
        result = generate(source, model, options)
    except LoadError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = [(args.output, result.yaml), (args.explain, result.explain)]
    for path, text in outputs:
        if path and path != STDIO:
            write_atomically(path, text)
    for path, text in outputs:
        if path == STDIO:
            sys.stdout.write(text)
    return 0
