"""Containers get the build's identity, which Buildkite's test collector reads: its own detection sees a Buildkite run."""

from __future__ import annotations

import pytest
from buildkite_test_collector.collector.run_env import RunEnvBuilder

from constructs_lib.bootstrap.runners import DOCKER_PLUGIN

from .helpers import default_queues, run, steps_of

JOB = {  # what the agent sets for a job (a part)
    "BUILDKITE": "true",
    "BUILDKITE_BUILD_ID": "0190c5a8-1111-4aaa-8bbb-222222222222",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/vllm/ci/builds/4242",
    "BUILDKITE_BUILD_NUMBER": "4242",
    "BUILDKITE_JOB_ID": "0190c5a8-3333-4ccc-8ddd-444444444444",
    "BUILDKITE_BRANCH": "feature",
    "BUILDKITE_COMMIT": "c" * 40,
    "BUILDKITE_MESSAGE": "Fix the scheduler",
    "BUILDKITE_ORGANIZATION_SLUG": "vllm",
    "BUILDKITE_PIPELINE_SLUG": "ci",
    "BUILDKITE_STEP_KEY": "a",
    "BUILDKITE_AGENT_ACCESS_TOKEN": "agent-token-never-in-a-container",
    "BUILDKITE_AGENT_ID": "agent-1",
}


def container_environment(options: dict, job: dict[str, str]) -> dict[str, str]:
    """A docker-plugin container's variables, as the plugin gives them: set ones, and the job's by name."""
    pipeline = run("steps:\n- label: A\n  command: pytest\n", default_queues(), run_all=True, **options).pipeline
    (docker,) = [
        o
        for s in steps_of(pipeline)
        if s.get("key") == "a"
        for p in s.get("plugins", [])
        for n, o in p.items()
        if n == DOCKER_PLUGIN
    ]
    out: dict[str, str] = {}
    for entry in docker["environment"]:
        name, given, value = entry.partition("=")
        if given:
            out[name] = value
        elif name in job:
            out[name] = job[name]
    return out


@pytest.mark.parametrize(
    "options", [{"branch": "feature"}, {"branch": "someone:x", "pull_request": "7", "untrusted": True}]
)
def test_the_test_collector_sees_the_build_in_every_container(options):
    environment = container_environment(options, JOB)
    found = RunEnvBuilder(environment).build()
    assert (found.ci, found.key, found.number, found.job_id, found.url) == (
        "buildkite",
        JOB["BUILDKITE_BUILD_ID"],
        "4242",
        JOB["BUILDKITE_JOB_ID"],
        JOB["BUILDKITE_BUILD_URL"],
    )
    assert found.commit_sha == "c" * 40 and found.branch == "feature"
    assert environment["BUILDKITE_ORGANIZATION_SLUG"] == "vllm" and environment["BUILDKITE_PIPELINE_SLUG"] == "ci"
    assert "BUILDKITE_AGENT_ACCESS_TOKEN" not in environment
