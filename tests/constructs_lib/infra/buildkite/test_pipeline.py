"""BuildkitePipeline: the pipeline, its schedules, and its stored steps signed from the operator's file."""

from __future__ import annotations

from constructs_lib.infra.buildkite.pipeline import BuildkitePipeline, signing_file_variable
from constructs_lib.infra.jsii.providers import generic_provider
from constructs_lib.queues.model import Pipeline, Signing
from tests.constructs_lib.infra.construct_synth import of_type, synth

PIPELINE = Pipeline.model_validate(
    {
        "name": "CI",
        "repository": "https://github.com/acme/app.git",
        "provider_settings": {"build_pull_request_forks": True},
        "schedules": {"Nightly build": {"cron": "0 9 * * *", "environment": {"NIGHTLY": "1"}}},
    },
    strict=False,
)
SIGNING = Signing(key_id="k1", private_key_path="/bk/private", public_key_path="/bk/public")


def build(signing):
    def make(stack):
        provider = generic_provider(stack, "buildkite", name="buildkite", organization="acme")
        file = signing_file_variable(stack).string_value if signing else None
        return BuildkitePipeline(
            stack,
            "p",
            provider=provider,
            slug="ci",
            pipeline=PIPELINE,
            cluster_id="cluster-id",
            steps="steps: []\n",
            signing=signing,
            signing_file=file,
        )

    return make


def test_signed_steps_come_from_the_operators_file_by_path():
    stack, _ = synth(build(SIGNING), provider="none")
    (signed,) = of_type(stack, "buildkite_signed_pipeline_steps", "data")
    assert signed["jwks_file"] == "${var.signing_jwks_file}" and signed["jwks_key_id"] == "k1"
    assert signed["unsigned_steps"] == "steps: []\n" and signed["repository"] == "https://github.com/acme/app.git"
    (pipeline,) = of_type(stack, "buildkite_pipeline")
    assert pipeline["steps"].startswith("${data.buildkite_signed_pipeline_steps.") and pipeline["steps"].endswith(
        ".steps}"
    )
    assert pipeline["provider_settings"] == {"build_pull_request_forks": True, "trigger_mode": "code"}
    (schedule,) = of_type(stack, "buildkite_pipeline_schedule")
    assert (schedule["label"], schedule["branch"], schedule["env"]) == ("Nightly build", "main", {"NIGHTLY": "1"})


def test_without_signing_the_steps_are_stored_as_written():
    stack, _ = synth(build(None), provider="none")
    assert not of_type(stack, "buildkite_signed_pipeline_steps", "data")
    (pipeline,) = of_type(stack, "buildkite_pipeline")
    assert pipeline["steps"] == "steps: []\n" and pipeline["cluster_id"] == "cluster-id"
