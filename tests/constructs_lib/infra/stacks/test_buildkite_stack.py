"""The buildkite stack: Buildkite's side of queues.yaml, held to the provider's documented schema."""

from __future__ import annotations

import json

import pytest
import yaml

from constructs_lib.bootstrap import pipeline_steps
from constructs_lib.infra.jsii.providers import GENERIC_PROVIDERS
from constructs_lib.queues.loader import parse_queues
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources, synth_stacks

# The attributes of buildkite/buildkite 1.38.0 the stack may write, from the provider's documentation at that
# release (docs/resources/*.md, docs/data-sources/*.md, docs/index.md of buildkite/terraform-provider-buildkite,
# commit 4186da8): no provider binary can be installed here, so `terraform validate` cannot check them.
PROVIDER_VERSION = "1.38.0"
SCHEMA = {
    "provider": {
        "api_token",
        "archive_pipeline_on_delete",
        "graphql_url",
        "max_retries",
        "organization",
        "rest_url",
        "timeouts",
    },
    "buildkite_cluster": {"name", "color", "description", "emoji"},
    "buildkite_cluster_queue": {
        "cluster_id",
        "key",
        "description",
        "dispatch_paused",
        "hosted_agents",
        "retry_agent_affinity",
    },
    "buildkite_pipeline": {
        "name",
        "repository",
        "allow_rebuilds",
        "archived",
        "branch_configuration",
        "cancel_intermediate_builds",
        "cancel_intermediate_builds_branch_filter",
        "clone_mirror_url",
        "cluster_id",
        "color",
        "default_branch",
        "default_team_id",
        "default_timeout_in_minutes",
        "description",
        "emoji",
        "maximum_timeout_in_minutes",
        "pipeline_template_id",
        "provider_settings",
        "skip_intermediate_builds",
        "skip_intermediate_builds_branch_filter",
        "slug",
        "steps",
        "tags",
        "visibility",
    },
    "provider_settings": {
        "build_branches",
        "build_check_run_completed",
        "build_create_event",
        "build_deployment_status_created",
        "build_issue_comment_created",
        "build_merge_group_checks_requested",
        "build_pull_request_base_branch_changed",
        "build_pull_request_converted_to_draft",
        "build_pull_request_forks",
        "build_pull_request_labels_changed",
        "build_pull_request_merge_commits",
        "build_pull_request_ready_for_review",
        "build_pull_request_review_dismissed",
        "build_pull_request_review_requested",
        "build_pull_request_review_submitted",
        "build_pull_requests",
        "build_release_created",
        "build_release_published",
        "build_release_released",
        "build_tags",
        "cancel_deleted_branch_builds",
        "cancel_when_merge_group_destroyed",
        "filter_condition",
        "filter_enabled",
        "ignore_default_branch_pull_requests",
        "issue_comment_command_word",
        "issue_comment_match_mode",
        "prefix_pull_request_fork_branch_names",
        "publish_blocked_as_pending",
        "publish_commit_status",
        "publish_commit_status_per_step",
        "pull_request_branch_filter_configuration",
        "pull_request_branch_filter_enabled",
        "separate_pull_request_statuses",
        "skip_builds_for_existing_commits",
        "skip_pull_request_builds_for_existing_commits",
        "trigger_mode",
        "use_merge_group_base_commit_for_git_diff_base",
        "use_step_key_as_commit_status",
    },
    "buildkite_pipeline_schedule": {
        "branch",
        "cronline",
        "label",
        "pipeline_id",
        "commit",
        "enabled",
        "env",
        "message",
    },
    "buildkite_signed_pipeline_steps": {"repository", "unsigned_steps", "jwks", "jwks_file", "jwks_key_id"},
}
# What cdktf adds to every block.
META = {"//", "provider", "depends_on", "lifecycle"}


@pytest.fixture(scope="module")
def default_stacks(tmp_path_factory):
    return synth_stacks((REPO / "queues.yaml").read_text(), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def stack(default_stacks):
    return default_stacks["buildkite"]


def cluster_of_id(stack: dict) -> dict[str, str]:
    """cluster name by the `${buildkite_cluster.<id>.id}` reference a cluster queue holds."""
    return {
        f"${{buildkite_cluster.{logical}.id}}": c["name"]
        for logical, c in resources(stack, "buildkite_cluster").items()
    }


def test_the_provider_is_pinned_and_takes_its_token_from_the_environment(stack):
    assert stack["terraform"]["required_providers"] == {
        "buildkite": {"source": "buildkite/buildkite", "version": PROVIDER_VERSION}
    }
    assert GENERIC_PROVIDERS["buildkite"] == ("buildkite/buildkite", PROVIDER_VERSION)
    (provider,) = stack["provider"]["buildkite"]
    assert provider == {"organization": "vllm"}, "the API token comes from BUILDKITE_API_TOKEN, never from a file"


def test_every_attribute_is_in_the_documented_schema(stack):
    for block in stack["provider"]["buildkite"]:
        assert set(block) <= SCHEMA["provider"]
    written = {**stack.get("resource", {}), **stack.get("data", {})}
    assert set(written) == {
        "buildkite_cluster",
        "buildkite_cluster_queue",
        "buildkite_pipeline",
        "buildkite_pipeline_schedule",
        "buildkite_signed_pipeline_steps",
    }
    for kind, blocks in written.items():
        for block in blocks.values():
            unknown = set(block) - SCHEMA[kind] - META
            assert not unknown, (kind, unknown)
    for pipeline in resources(stack, "buildkite_pipeline").values():
        assert set(pipeline["provider_settings"]) <= SCHEMA["provider_settings"]


def test_every_queue_of_the_file_has_a_cluster_queue_in_its_cluster(stack):
    model = parse_queues((REPO / "queues.yaml").read_bytes(), "queues.yaml")
    clusters = cluster_of_id(stack)
    placed = {q["key"]: clusters[q["cluster_id"]] for q in resources(stack, "buildkite_cluster_queue").values()}
    assert placed == {name: model.cluster_of(name) for name in model.queues}
    # Every hosting kind is there, not only the synthesized clouds'.
    assert {model.queues[name].hosting for name in placed} == {"aws", "tpu", "kubernetes", "external"}
    assert placed["gpu_1_queue"] == placed["bootstrap"] == placed["cpu_queue_untrusted_us_east_1"] == "ci"
    assert placed["cpu_queue_release"] == "release"
    assert sorted(c["name"] for c in resources(stack, "buildkite_cluster").values()) == [
        "ci",
        "perfbenchmark",
        "release",
    ]


def test_the_pipeline_stores_the_signed_bootstrap_and_builds_fork_prs_untrusted(stack):
    (pipeline,) = resources(stack, "buildkite_pipeline").values()
    assert pipeline["cluster_id"] in cluster_of_id(stack) and cluster_of_id(stack)[pipeline["cluster_id"]] == "ci"
    assert (pipeline["slug"], pipeline["repository"], pipeline["default_branch"]) == (
        "ci",
        "https://github.com/vllm-project/vllm.git",
        "main",
    )
    settings = pipeline["provider_settings"]
    assert settings["build_pull_request_forks"] is True and settings["prefix_pull_request_fork_branch_names"] is True
    (logical, signed) = next(iter(data_sources(stack, "buildkite_signed_pipeline_steps").items()))
    assert pipeline["steps"] == f"${{data.buildkite_signed_pipeline_steps.{logical}.steps}}"
    # Signed from the operator's file, by path: the key is in no file, the state keeps the path.
    assert signed["jwks_file"] == "${var.signing_jwks_file}" and "jwks" not in signed
    assert (
        stack["variable"]["signing_jwks_file"]["type"] == "string"
        and "default" not in stack["variable"]["signing_jwks_file"]
    )
    assert signed["repository"] == pipeline["repository"] and signed["jwks_key_id"] == "vllm-ci-pipelines"
    model = parse_queues((REPO / "queues.yaml").read_bytes(), "queues.yaml")
    assert signed["unsigned_steps"] == pipeline_steps.stored_steps(model, "ci")
    (step,) = yaml.safe_load(signed["unsigned_steps"])["steps"]
    assert step["agents"] == {"queue": "bootstrap"}


def test_the_nightly_schedule_sets_nightly(stack):
    (pipeline_logical,) = resources(stack, "buildkite_pipeline")
    (schedule,) = resources(stack, "buildkite_pipeline_schedule").values()
    assert schedule["pipeline_id"] == f"${{buildkite_pipeline.{pipeline_logical}.id}}"
    assert (schedule["label"], schedule["cronline"], schedule["branch"], schedule["env"]) == (
        "Nightly",
        "0 9 * * *",
        "main",
        {"NIGHTLY": "1"},
    )


def test_queue_operations_reach_the_cluster_queue(tmp_path):
    text = (
        (REPO / "queues.yaml")
        .read_text()
        .replace(
            "  gpu_1_queue:\n",
            "  gpu_1_queue:\n    buildkite: {dispatch_paused: true, retry_agent_affinity: prefer-different}\n",
            1,
        )
    )
    stack = synth_stacks(text, tmp_path)["buildkite"]
    queues = {q["key"]: q for q in resources(stack, "buildkite_cluster_queue").values()}
    assert (
        queues["gpu_1_queue"]["dispatch_paused"] is True
        and queues["gpu_1_queue"]["retry_agent_affinity"] == "prefer-different"
    )
    assert queues["gpu_4_queue"]["dispatch_paused"] is False and "retry_agent_affinity" not in queues["gpu_4_queue"]


def test_a_queue_added_to_the_file_appears_in_buildkite_and_its_cloud_from_one_synth(tmp_path):
    added = "  new_cpu_queue:\n    description: Added.\n    routing: {general: false}\n    aws:\n      instance_types: [r6in.large]\n      max_size: 2\n\n"
    text = (
        (REPO / "queues.yaml")
        .read_text()
        .replace("  small_cpu_queue_premerge:\n", added + "  small_cpu_queue_premerge:\n", 1)
    )
    stacks = synth_stacks(text, tmp_path)
    keys = {q["key"]: q for q in resources(stacks["buildkite"], "buildkite_cluster_queue").values()}
    assert cluster_of_id(stacks["buildkite"])[keys["new_cpu_queue"]["cluster_id"]] == "ci"
    cfn = {
        r["parameters"]["BuildkiteQueue"]: r
        for r in resources(stacks["aws-us-west-2"], "aws_cloudformation_stack").values()
    }
    assert cfn["new_cpu_queue"]["parameters"]["BuildkiteAgentTokenParameterStorePath"] == "/bk_agent_token_cluster_ci"


def test_no_stack_without_a_buildkite_section(tmp_path):
    stacks = synth_stacks((REPO / "examples" / "queues-vllm-2024.yaml").read_text(), tmp_path)
    assert "buildkite" not in stacks


def test_the_stored_steps_are_deterministic(stack, tmp_path):
    again = synth_stacks((REPO / "queues.yaml").read_text(), tmp_path)["buildkite"]
    assert json.dumps(again, sort_keys=True) == json.dumps(stack, sort_keys=True)


def test_its_state_is_local_so_it_deploys_before_any_cloud(stack):
    # An empty organization and an empty account: no state bucket exists when Buildkite is deployed first.
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.buildkite.tfstate"}}
