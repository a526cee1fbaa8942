"""Run vLLM's own generator on each variant of the shared tree (peer_variants) and keep what it decided per step.

    python -m tests.constructs_lib.bootstrap.make_peer_oracles --generator CI_INFRA/buildkite/pipeline_generator \
        --python PYTHON_WITH_ITS_DEPENDENCIES

The generator is vLLM's (vllm-project/ci-infra; its `pyproject.toml` names
what its Python needs: click, pydantic, pyyaml, requests), at the commit
named in peer_variants. As for the shared peer fixture (its SOURCE.md), it
runs in a throwaway git repository holding the variant: a first commit with
the tree, a second with the scenario's changed files (its `git diff` against
`HEAD~1` on main, against MERGE_BASE_COMMIT on a branch), with `aws`,
`docker` and `buildkite-agent` replaced by stand-ins (the ECR login succeeds,
no image exists yet). Nothing of the generator is kept here: only
`peer.fields` of what it wrote, as JSON, in `peer_oracles/`.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import yaml

from . import peer, peer_variants

GENERATOR_COMMIT = "3e4cfe4"  # vllm-project/ci-infra, 2026-08-21: the shared peer fixture's generator

STAND_INS = {
    "aws": "#!/bin/sh\necho stand-in-password\n",
    # `docker login` succeeds; `docker manifest inspect` finds no image.
    "docker": '#!/bin/sh\n[ "$1" = login ] && exit 0\nexit 1\n',
    "buildkite-agent": "#!/bin/sh\nexit 0\n",
}


def _git(repo: pathlib.Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-06-30T00:00:00Z", "GIT_COMMITTER_DATE": "2026-06-30T00:00:00Z"}
    return subprocess.run(
        ["git", "-c", "user.name=oracle", "-c", "user.email=oracle@localhost", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()


def run(generator: pathlib.Path, python: str, variant: str, scenario_name: str) -> dict:
    scenario = peer_variants.SCENARIOS[scenario_name]
    with tempfile.TemporaryDirectory() as folder:
        top = pathlib.Path(folder)
        repo = top / "repo"
        repo.mkdir()
        peer_variants.build(variant, repo)
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", ".")
        _git(repo, "commit", "-q", "-m", "tree")
        base = _git(repo, "rev-parse", "HEAD")
        for path in scenario.changed:
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as handle:
                handle.write("# changed\n")
        _git(repo, "add", ".")
        _git(repo, "commit", "-q", "-m", "change")
        bin_dir = top / "bin"
        bin_dir.mkdir()
        for name, text in STAND_INS.items():
            (bin_dir / name).write_text(text, encoding="utf-8")
            (bin_dir / name).chmod(0o755)
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "HOME": str(top),
            "BUILDKITE_BRANCH": scenario.branch,
            "BUILDKITE_COMMIT": _git(repo, "rev-parse", "HEAD"),
            "BUILDKITE_PULL_REQUEST": "false",
            "MERGE_BASE_COMMIT": base,
            "PYTHONPATH": str(generator),
        }
        if scenario.run_all:
            env["RUN_ALL"] = "1"
        output = top / "pipeline.yaml"
        subprocess.run(
            [
                python,
                str(generator / "main.py"),
                "--pipeline_config_path",
                ".buildkite/ci_config.yaml",
                "--output_file_path",
                str(output),
            ],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        pipeline = yaml.safe_load(output.read_text(encoding="utf-8"))
    return peer.fields(pipeline)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", required=True, type=pathlib.Path, help="ci-infra's buildkite/pipeline_generator")
    parser.add_argument("--python", default=sys.executable, help="a Python with the generator's dependencies")
    args = parser.parse_args(argv)
    for variant, scenarios in peer_variants.RUNS.items():
        for scenario in scenarios:
            found = run(args.generator, args.python, variant, scenario)
            path = peer_variants.oracle_path(variant, scenario)
            path.parent.mkdir(parents=True, exist_ok=True)
            body = {"generator": f"vllm-project/ci-infra@{GENERATOR_COMMIT}", "steps": found}
            path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"{path}: {len(found)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
