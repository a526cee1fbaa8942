"""The toolkit's image build, run in bash with stand-in docker, aws and git that record their arguments.

Each kind of build reads the layer caches of its own kind and more trusted ones, along the chain (commit, parent,
merge base, latest), writes only its own, and points sccache at the toolkit's bucket under its own prefix.
"""

from __future__ import annotations

import pathlib

import pytest

from constructs_lib.bootstrap import image_build
from tests.job_shell import run_step

from .helpers import fleet_2024, run, step

COMMIT = "c" * 40
PARENT = "p" * 40
BASE = "b" * 40
ACCOUNT = "123456789012"
STAND_INS = {
    "docker": """#!/bin/bash
(IFS=$'\\t'; echo "docker	$*") >> "$LOG"
case "$1 $2" in
  "manifest inspect") exit 1 ;;
  "buildx inspect") exit 1 ;;
esac
exit 0
""",
    "aws": f"""#!/bin/bash
(IFS=$'\\t'; echo "aws	$*") >> "$LOG"
case "$1 $2" in
  "sts get-caller-identity") echo {ACCOUNT} ;;
  *) echo password ;;
esac
""",
    "git": f"""#!/bin/bash
(IFS=$'\\t'; echo "git	$*") >> "$LOG"
case "$1" in
  rev-parse) echo {PARENT} ;;
  merge-base) echo {BASE} ;;
esac
""",
}


def calls(
    build_step: dict, tmp_path: pathlib.Path, stand_ins: dict[str, str] = STAND_INS, **variables: str
) -> list[list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in stand_ins.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    done = run_step(
        build_step,
        {"BUILDKITE_COMMIT": COMMIT, "LOG": str(log), **variables},
        tmp_path,
        path=f"{bin_dir}:/usr/bin:/bin",
    )
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in log.read_text().splitlines()]


def build_of(**options) -> dict:
    result = run(
        "steps:\n- label: A\n  command: a\n", fleet_2024(), build_variables={"BUILDKITE_COMMIT": COMMIT}, **options
    )
    return step(result.pipeline, "image-build")


def option_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


REGISTRY = f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com"


@pytest.mark.parametrize(
    "options, variables, writes, reads, target, latest",
    [
        (
            {"branch": "main"},
            {"BUILDKITE_BRANCH": "main"},
            "vllm-ci-postmerge-cache",
            ["vllm-ci-postmerge-cache"],
            "main",
            True,
        ),
        (
            {"branch": "feature"},
            {"BUILDKITE_BRANCH": "feature"},
            "vllm-ci-test-cache",
            ["vllm-ci-test-cache", "vllm-ci-postmerge-cache"],
            "main",
            False,
        ),
        (
            {"branch": "feature", "pull_request": "12"},
            {"BUILDKITE_PULL_REQUEST_BASE_BRANCH": "releases/v1"},
            "vllm-ci-test-cache",
            ["vllm-ci-test-cache", "vllm-ci-postmerge-cache"],
            "releases/v1",
            False,
        ),
        (
            {"branch": "someone:x", "pull_request": "13", "untrusted": True},
            {"BUILDKITE_PULL_REQUEST_BASE_BRANCH": "main"},
            "vllm-ci-untrusted-cache",
            ["vllm-ci-untrusted-cache", "vllm-ci-test-cache", "vllm-ci-postmerge-cache"],
            "main",
            False,
        ),
    ],
)
def test_each_build_reads_the_chain_of_its_own_and_more_trusted_caches_and_writes_only_its_own(
    tmp_path, options, variables, writes, reads, target, latest
):
    recorded = calls(build_of(**options), tmp_path, **variables)
    assert ["aws", "ecr", "get-login-password", "--region", "us-west-2"] in recorded
    assert ["docker", "login", "--username", "AWS", "--password-stdin", REGISTRY] in recorded
    assert ["git", "merge-base", "HEAD", f"refs/remotes/origin/{target}"] in recorded
    (build,) = [c[1:] for c in recorded if c[:3] == ["docker", "buildx", "build"]]
    cache_to = option_values(build, "--cache-to")
    expected_to = [f"type=registry,ref={REGISTRY}/{writes}:{COMMIT},{image_build.CACHE_EXPORT}"]
    if latest:
        expected_to.append(f"type=registry,ref={REGISTRY}/{writes}:latest,{image_build.CACHE_EXPORT}")
    assert cache_to == expected_to
    chain = [COMMIT, PARENT, BASE, "latest"]
    assert option_values(build, "--cache-from") == [
        f"type=registry,ref={REGISTRY}/{repo}:{tag}" for repo in reads for tag in chain
    ]
    assert "--push" in build and option_values(build, "--tag")[0].endswith(f":{COMMIT}")
    assert (len(option_values(build, "--tag")) == 2) == latest


def test_a_trusted_build_points_sccache_at_the_toolkits_bucket_under_its_kind(tmp_path):
    recorded = calls(build_of(branch="feature"), tmp_path)
    (build,) = [c[1:] for c in recorded if c[:3] == ["docker", "buildx", "build"]]
    args = option_values(build, "--build-arg")
    assert {
        "USE_SCCACHE=1",
        "SCCACHE_BUCKET_NAME=vllm-ci-build-cache",
        "SCCACHE_REGION_NAME=us-west-2",
        "SCCACHE_S3_KEY_PREFIX=premerge/sccache/",
    } <= set(args)
    # Its compilers reach the builder's instance role through the host's network.
    assert [
        "docker",
        "buildx",
        "create",
        "--name",
        image_build.TRUSTED_BUILDER,
        "--driver",
        "docker-container",
        "--driver-opt",
        "network=host",
    ] in recorded


def test_an_untrusted_build_gets_no_sccache_and_no_host_network(tmp_path):
    recorded = calls(build_of(branch="someone:x", pull_request="13", untrusted=True), tmp_path)
    (build,) = [c[1:] for c in recorded if c[:3] == ["docker", "buildx", "build"]]
    args = option_values(build, "--build-arg")
    assert "USE_SCCACHE=0" in args and not any(a.startswith("SCCACHE_") for a in args)
    assert [
        "docker",
        "buildx",
        "create",
        "--name",
        image_build.UNTRUSTED_BUILDER,
        "--driver",
        "docker-container",
    ] in recorded
    assert not any("network=host" in c for call in recorded for c in call)


def test_a_builder_that_exists_is_reused(tmp_path):
    existing = dict(
        STAND_INS, docker=STAND_INS["docker"].replace('"buildx inspect") exit 1', '"buildx inspect") exit 0')
    )
    recorded = calls(build_of(branch="feature"), tmp_path, existing)
    assert not any(call[:3] == ["docker", "buildx", "create"] for call in recorded)


def test_without_declared_caches_a_plain_build_runs_sccache_on_the_hosts_network_for_trusted_builds_only():
    trusted = image_build.commands(
        image_build.BuildCaches(trusted=True, sccache_bucket="b", sccache_region="r"), latest=False
    )
    assert any(c.startswith("docker build --network host") and "USE_SCCACHE=1" in c for c in trusted)
    untrusted = image_build.commands(
        image_build.BuildCaches(trusted=False, sccache_bucket="b", sccache_region="r"), latest=False
    )
    assert any(c.startswith("docker build --file") and "USE_SCCACHE=0" in c for c in untrusted)
