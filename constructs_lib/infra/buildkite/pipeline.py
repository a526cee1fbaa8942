"""BuildkitePipeline: a pipeline whose stored first step is the toolkit's bootstrap, and its schedules.

With signing on, the stored step is signed by the provider's
buildkite_signed_pipeline_steps data source from the private JWKS file whose
path the operator gives at deploy (the Terraform variable `signing_jwks_file`):
the state keeps the path and the signature, never the key.
"""

from __future__ import annotations

from typing import Any, Optional

from cdktf import TerraformVariable
from constructs import Construct

from constructs_lib.infra.jsii.providers import generic_resource
from constructs_lib.queues.model import Pipeline, Signing

SIGNING_VARIABLE = "signing_jwks_file"


def signing_file_variable(scope: Construct) -> TerraformVariable:
    return TerraformVariable(
        scope,
        SIGNING_VARIABLE,
        type="string",
        description="Path of the private JWKS file that signs the pipelines' stored steps (buildkite-agent tool keygen); "
        "read by the provider at plan, never stored",
        nullable=False,
    )


class BuildkitePipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: Any,
        slug: str,
        pipeline: Pipeline,
        cluster_id: str,
        steps: str,
        signing: Optional[Signing] = None,
        signing_file: Optional[str] = None,
    ):
        super().__init__(scope, id)
        stored = steps
        if signing is not None and signing_file is not None:
            signed = generic_resource(
                self,
                "signed-steps",
                resource_type="buildkite_signed_pipeline_steps",
                provider=provider,
                data=True,
                attributes={
                    "repository": pipeline.repository,
                    "unsigned_steps": steps,
                    "jwks_file": signing_file,
                    "jwks_key_id": signing.key_id,
                },
            )
            stored = signed.get_string_attribute("steps")
        self.pipeline = generic_resource(
            self,
            "pipeline",
            resource_type="buildkite_pipeline",
            provider=provider,
            attributes=pipeline_attributes(slug, pipeline, cluster_id, stored),
        )
        pipeline_id = self.pipeline.get_string_attribute("id")
        for label, schedule in pipeline.schedules.items():
            attributes: dict[str, Any] = {
                "pipeline_id": pipeline_id,
                "label": label,
                "cronline": schedule.cron,
                "branch": schedule.branch or pipeline.default_branch,
                "enabled": schedule.enabled,
            }
            if schedule.environment:
                attributes["env"] = dict(sorted(schedule.environment.items()))
            if schedule.message:
                attributes["message"] = schedule.message
            generic_resource(
                self,
                f"schedule-{schedule_id(label)}",
                resource_type="buildkite_pipeline_schedule",
                provider=provider,
                attributes=attributes,
            )


def pipeline_attributes(slug: str, pipeline: Pipeline, cluster_id: str, steps: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "name": pipeline.name,
        "slug": slug,
        "repository": pipeline.repository,
        "cluster_id": cluster_id,
        "default_branch": pipeline.default_branch,
        "visibility": pipeline.visibility,
        "skip_intermediate_builds": pipeline.skip_intermediate_builds,
        "cancel_intermediate_builds": pipeline.cancel_intermediate_builds,
        "steps": steps,
    }
    for key in (
        "description",
        "default_team_id",
        "skip_intermediate_builds_branch_filter",
        "cancel_intermediate_builds_branch_filter",
        "default_timeout_in_minutes",
        "maximum_timeout_in_minutes",
    ):
        value = getattr(pipeline, key)
        if value is not None:
            attributes[key] = value
    attributes["provider_settings"] = pipeline.provider_settings.model_dump(exclude_none=True)
    return attributes


def schedule_id(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower())
