"""The AWS section of a queue: one Buildkite Elastic CI Stack. Pure pydantic."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from constructs_lib.queues.fields import (
    MAX_AGENT_INSTANCES,
    AmiId,
    AwsRegion,
    InstanceType,
    ParameterValue,
    SsmPath,
    StackVersion,
    Strict,
    named,
)

# The Elastic CI Stack's cron form for scheduled scaling (its AllowedPattern): five fields.
Cron = Annotated[
    str,
    named(r"^[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9A-Za-z*,/-]+$", "cron schedule like '0 8 * * MON-FRI'"),
]
TimeZone = Annotated[
    str, named(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", "IANA time zone like UTC or America/Los_Angeles")
]


class ScheduledScaling(Strict):
    """Warm capacity by the clock: at `up` the queue keeps `up_min_size` instances, at `down` `down_min_size` (EnableScheduledScaling)."""

    up: Cron = Field(description="When the working day starts (cron, in `timezone`).")
    up_min_size: int = Field(ge=0, le=MAX_AGENT_INSTANCES, description="Instances kept running from `up` until `down`.")
    down: Cron = Field(description="When it ends.")
    down_min_size: int = Field(
        0, ge=0, le=MAX_AGENT_INSTANCES, description="Instances kept running from `down` until `up`."
    )
    timezone: TimeZone = "UTC"


class AwsQueueOptions(Strict):
    """Options that every AWS queue shares unless it says otherwise."""

    root_volume_size: Optional[int] = Field(None, ge=10, le=16384, description="Root volume size in GB.")
    ecr_plugin: Optional[bool] = Field(None, description="Enable the Elastic CI Stack's ECR plugin.")
    docker_userns_remap: Optional[bool] = Field(
        None, description="Docker user-namespace remap; off for docker-in-docker."
    )
    terminate_after_job: Optional[bool] = Field(None, description="Terminate each instance after one job.")
    imdsv2_required: Optional[bool] = Field(None, description="Require IMDSv2 tokens (safe default: true).")
    root_volume_encrypted: Optional[bool] = Field(None, description="Encrypt the root volume (safe default: true).")
    ecr_access: Optional[Literal["none", "readonly", "poweruser", "full"]] = Field(
        None, description="The stack's own ECRAccessPolicy."
    )
    # The scale settings vLLM's fleet tuned under load (ci-infra#425, #426, #479).
    scale_in_idle_period: Optional[int] = Field(
        None,
        ge=60,
        le=86400,
        description="Seconds an idle instance waits before scale-in (stack default 600; vLLM's GPU queues 1200).",
    )
    on_demand_percentage: Optional[int] = Field(
        None, ge=0, le=100, description="Share of on-demand instances; the rest spot."
    )
    scheduled_scaling: Optional[ScheduledScaling] = Field(
        None,
        description="Warm capacity by the clock (Elastic CI Stack v6.x: EnableScheduledScaling); min_size is the minimum kept warm always.",
    )
    docker_prune_until: Optional[Annotated[str, named(r"^([0-9]+[smhd])+$", "duration like 4h or 1d12h")]] = Field(
        None,
        description="Docker's scheduled prune removes what is older than this (v6.71.1: DockerPruneUntil, default 4h).",
    )
    parameters: dict[str, ParameterValue] = Field(
        default_factory=dict,
        description="Further Elastic CI Stack parameters, checked against the pinned version's catalog.",
    )


class AwsQueue(AwsQueueOptions):
    """A queue served by one Buildkite Elastic CI Stack."""

    instance_types: list[InstanceType] = Field(min_length=1, max_length=4)
    min_size: int = Field(0, ge=0, le=MAX_AGENT_INSTANCES)
    max_size: int = Field(ge=0, le=MAX_AGENT_INSTANCES)
    region: Optional[AwsRegion] = None
    stack_version: Optional[StackVersion] = None
    agent_token_path: Optional[SsmPath] = None
    image_id: Optional[AmiId] = Field(None, description="An AMI by id; wins over image.")
    image: Optional[Literal["gpu", "cpu", "stack"]] = Field(
        None,
        description="The AMI it boots: gpu (the toolkit's GPU image), cpu (the toolkit's CPU image: the HF-token hook), stack "
        "(the Elastic CI Stack's own). Absent: gpu for x86_64 queues with accelerators, cpu for x86_64 queues that need the HF token, else stack.",
    )
    builder: bool = Field(
        False,
        description="Takes the image builds of its builds and may push: to the repositories and build-cache prefix of the builds it serves, nowhere else.",
    )
    pushes: Optional[bool] = Field(
        None,
        description="May push to the repositories and build-cache prefix of the builds it serves without taking image builds (e.g. manifests). Absent: as builder.",
    )
    needs_hf_token: bool = Field(False, description="May read the HF token secret.")

    @property
    def may_push(self) -> bool:
        return self.builder if self.pushes is None else self.pushes


class AwsHosted(Strict):
    """The aws section of a queue, as the queue model takes it (constructs_lib.queues.hostings.Hostings)."""

    aws: Optional[AwsQueue] = Field(None, description="Hosted by an Elastic CI Stack on AWS.")
