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
      registry: {ecr_public: {alias: myci, repositories: [ci-premerge, ci-main]}}
      state: {bucket: test-state-bucket, lock_table: test-locks}
      networks: {us-west-2: {vpc_cidr: 10.0.0.0/16}}
    queues:
      builder: {aws: {instance_types: [r6in.large], min_size: 0, max_size: 4, builder: true}}
      l4: {accelerator: {type: l4, count: 1}, external: {}}
    """


@pytest.mark.parametrize("registry, login", [
    ("public.ecr.aws/q9t5s3a7", "aws ecr-public get-login-password --region us-east-1 | docker login --username AWS --password-stdin public.ecr.aws"),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci",
     "aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
    ("ghcr.io/vllm-project", None),  # brings its own credentials
    ("public.ecr.aws.evil.example/x", None),
])
def test_the_login_follows_the_registry(registry, login):
    assert registry_login(registry) == login


def test_the_image_build_logs_in_before_it_pushes():
    commands = step(run("steps:\n- label: A\n  command: a\n", fleet_2024(), branch="main").pipeline, "image-build")["commands"]
    login = next(i for i, c in enumerate(commands) if "get-login-password" in c)
    push = next(i for i, c in enumerate(commands) if c.startswith("docker push"))
    assert login < push and login == 0


def test_the_registry_declared_in_queues_yaml_is_the_one_pushed_to():
    result = run("steps:\n- label: A\n  command: a\n", queues(QUEUES), branch="feature")
    build = step(result.pipeline, "image-build")
    assert 'docker push "$IMAGE_TAG"' in build["commands"] and build["env"]["IMAGE_TAG"].startswith("public.ecr.aws/myci/")
    # The step file's repository (vllm-ci-test-repo) is not one the builders may push to: said so.
    assert any("may not push to" in w.message and "ci-premerge, ci-main" in w.message for w in result.warnings)


def test_a_step_that_is_not_a_build_gets_no_login():
    pipeline = run("steps:\n- label: A\n  no_plugin: true\n  command: a\n", fleet_2024(), branch="main").pipeline
    assert not any("get-login-password" in c for c in step(pipeline, "a")["commands"])
