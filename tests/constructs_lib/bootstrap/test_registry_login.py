"""An image build logs in to the CI registry before it pushes, and pushes where queues.yaml says."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.registry_login import registry_login

from .helpers import fleet_2024, queues, run, step

QUEUES = """\
    aws:
      region: us-west-2
      agent_token_path: /buildkite/agent-token
      hf_token_secret: ci/hf-token
      registry: {ecr_public: {alias: myci, repositories: {ci-premerge: [premerge], ci-main: [postmerge], ci-forks: [untrusted]}}}
      state: {bucket: test-state-bucket, lock_table: test-locks}
      networks: {us-west-2: {vpc_cidr: 10.0.0.0/16}}
    queues:
      builder: {builds: [premerge, postmerge], aws: {instance_types: [r6in.large], min_size: 0, max_size: 4, builder: true}}
      forks: {builds: [untrusted], aws: {instance_types: [r6in.large], min_size: 0, max_size: 4, builder: true}}
      l4: {accelerator: {type: l4, count: 1}, external: {}}
    """


@pytest.mark.parametrize(
    "registry, login",
    [
        (
            "public.ecr.aws/q9t5s3a7",
            "aws ecr-public get-login-password --region us-east-1 | docker login --username AWS --password-stdin public.ecr.aws",
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci",
            "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        ("ghcr.io/vllm-project", None),  # brings its own credentials
        ("public.ecr.aws.evil.example/x", None),
    ],
)
def test_the_login_follows_the_registry(registry, login):
    assert registry_login(registry) == login


def test_the_image_build_logs_in_before_it_pushes():
    commands = step(run("steps:\n- label: A\n  command: a\n", fleet_2024(), branch="main").pipeline, "image-build")[
        "commands"
    ]
    login = next(i for i, c in enumerate(commands) if "get-login-password" in c)
    push = next(
        i
        for i, c in enumerate(commands)
        if c.startswith("docker push") or (c.startswith("docker buildx build") and "--push" in c)
    )
    assert login < push and login == 0


@pytest.mark.parametrize(
    "options, repository, queue",
    [
        ({"branch": "feature"}, "ci-premerge", "builder"),
        ({"branch": "main"}, "ci-main", "builder"),
        ({"branch": "patch", "pull_request": "7", "untrusted": True}, "ci-forks", "forks"),
    ],
)
def test_each_build_pushes_to_the_repository_queues_yaml_gives_its_builds(options, repository, queue):
    result = run("steps:\n- label: A\n  command: a\n", queues(QUEUES), **options)
    build = step(result.pipeline, "image-build")
    assert 'docker push "$IMAGE_TAG"' in build["commands"]
    assert build["env"]["IMAGE_TAG"].startswith(f"public.ecr.aws/myci/{repository}:")
    assert build["agents"]["queue"] == queue
    assert not any("may not push to" in w.message for w in result.warnings)


def test_a_repository_the_builds_builders_may_not_push_to_is_said():
    result = run("steps:\n- label: A\n  command: a\n", queues(QUEUES), branch="feature", repository="ci-main")
    assert any(
        "builders of premerge builds may not push to (aws.registry: ci-premerge)" in w.message for w in result.warnings
    )


def test_a_step_that_is_not_a_build_gets_no_login():
    pipeline = run("steps:\n- label: A\n  no_plugin: true\n  command: a\n", fleet_2024(), branch="main").pipeline
    assert not any("get-login-password" in c for c in step(pipeline, "a")["commands"])
