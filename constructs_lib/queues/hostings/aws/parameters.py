"""The Elastic CI Stack parameters of an AWS queue, from the queue model.

Pure: no cdktf. The construct adds only what the infrastructure decides (VPC,
subnets, security group); everything else is decided here, where the loader
can check it against the pinned stack version's catalog.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from constructs_lib.queues import agent_tokens
from constructs_lib.queues.hostings.aws.section import AwsQueue, AwsQueueOptions
from constructs_lib.queues.stack_catalog import render

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile

TEMPLATE_URL = "https://s3.amazonaws.com/buildkite-aws-stack/{version}/aws-stack.yml"

# Used where neither the queue nor aws.queue_defaults says otherwise. IMDSv2
# and root-volume encryption are on: the reference fleet ran without either.
# Constants of ours, not input: constructed without building a validator at start-up (the bootstrap imports this).
BUILTIN_OPTIONS = AwsQueueOptions.model_construct(
    root_volume_size=250,
    ecr_plugin=True,
    docker_userns_remap=False,
    terminate_after_job=True,
    imdsv2_required=True,
    root_volume_encrypted=True,
    ecr_access="readonly",
)

# queue option -> (stack parameter, how the value is written)
OPTION_PARAMETERS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "root_volume_size": ("RootVolumeSize", render),
    "ecr_plugin": ("EnableECRPlugin", render),
    "docker_userns_remap": ("EnableDockerUserNamespaceRemap", render),
    "terminate_after_job": ("BuildkiteTerminateInstanceAfterJob", render),
    "imdsv2_required": ("IMDSv2Tokens", lambda on: "required" if on else "optional"),
    "root_volume_encrypted": ("RootVolumeEncrypted", render),
    "ecr_access": ("ECRAccessPolicy", render),
    # Written only when set: the stack's defaults otherwise.
    "scale_in_idle_period": ("ScaleInIdlePeriod", render),
    "on_demand_percentage": ("OnDemandPercentage", render),
    "docker_prune_until": ("DockerPruneUntil", render),
    "scheduled_scaling": ("EnableScheduledScaling", lambda given: "true"),
}
# The parameters a scheduled_scaling block writes besides EnableScheduledScaling.
SCHEDULE_PARAMETERS = {
    "up": "ScaleUpSchedule",
    "up_min_size": "ScaleUpMinSize",
    "down": "ScaleDownSchedule",
    "down_min_size": "ScaleDownMinSize",
    "timezone": "ScheduleTimezone",
}
# The agent tag that tells the HF-token hook of the toolkit's AMIs which secret to read.
HF_TOKEN_TAG = "hf-token-secret"


def stack_name(queue_name: str) -> str:
    """CloudFormation stack name of a queue: letters, digits and hyphens."""
    return "bk-" + re.sub(r"[^A-Za-z0-9-]", "-", queue_name)


# The Elastic CI Stack names its instance role `${AWS::StackName}-Role`
# (InstanceRoleName left empty, as the toolkit leaves it); IAM allows 64.
MAX_IAM_ROLE_NAME = 64


def instance_role_name(queue_name: str) -> str:
    return f"{stack_name(queue_name)}-Role"


def option(model: QueuesFile, queue: AwsQueue, name: str) -> Any:
    for source in (queue, model.aws.queue_defaults if model.aws else None, BUILTIN_OPTIONS):
        value = getattr(source, name, None) if source is not None else None
        if value is not None:
            return value
    return None


def image_kind(model: QueuesFile, queue_name: str, queue: AwsQueue) -> str:
    """gpu, cpu or stack: the AMI a queue boots (aws.image, else what it needs and what aws.images offers)."""
    if queue.image is not None:
        return queue.image
    whole = model.queues[queue_name]
    if whole.architecture != "x86_64":
        return "stack"  # the toolkit's images are x86_64
    if whole.accelerator is not None and image_parameter(model, "gpu"):
        return "gpu"
    if queue.needs_hf_token and image_parameter(model, "cpu"):
        return "cpu"
    return "stack"


def image_parameter(model: QueuesFile, kind: str) -> str | None:
    images = model.aws_settings().images
    return getattr(images, kind, None) if images is not None else None


def region(model: QueuesFile, queue: AwsQueue) -> str:
    return queue.region or model.aws_settings().region


def state_region(model: QueuesFile) -> str:
    """Where the Terraform state bucket and lock table are."""
    aws = model.aws_settings()
    return aws.state.region or aws.region


def version(model: QueuesFile, queue: AwsQueue) -> str:
    return queue.stack_version or model.aws_settings().stack_version


def token_path(model: QueuesFile, queue_name: str) -> str:
    return agent_tokens.aws_token_path(model, queue_name) or ""


def template_url(stack_version: str) -> str:
    return TEMPLATE_URL.format(version=stack_version)


def parameters(model: QueuesFile, queue_name: str, queue: AwsQueue) -> dict[str, str]:
    """Every parameter except VpcId, Subnets and SecurityGroupIds, as strings."""
    params = {
        "BuildkiteQueue": queue_name,
        "MinSize": str(queue.min_size),
        "MaxSize": str(queue.max_size),
        "InstanceTypes": ",".join(queue.instance_types),
        "BuildkiteAgentTokenParameterStorePath": token_path(model, queue_name),
    }
    params.update(signing_parameters(model, queue_name))
    if queue.image_id:
        params["ImageId"] = queue.image_id
    elif (kind := image_kind(model, queue_name, queue)) != "stack":
        # The stack reads the AMI id from the parameter `make ami` writes, at each deploy.
        params["ImageIdParameter"] = image_parameter(model, kind) or ""
    for name, (parameter, write) in OPTION_PARAMETERS.items():
        value = option(model, queue, name)
        if value is not None:
            params[parameter] = write(value)
    schedule = option(model, queue, "scheduled_scaling")
    if schedule is not None:
        params.update({parameter: render(getattr(schedule, key)) for key, parameter in SCHEDULE_PARAMETERS.items()})
    for overrides in (model.aws_settings().queue_defaults.parameters, queue.parameters):
        params.update({k: render(v) for k, v in overrides.items()})
    if queue.needs_hf_token:
        tags = [t for t in params.get("BuildkiteAgentTags", "").split(",") if t]
        params["BuildkiteAgentTags"] = ",".join(tags + [f"{HF_TOKEN_TAG}={model.aws_settings().hf_token_secret}"])
    return dict(sorted(params.items()))


def signing_parameters(model: QueuesFile, queue_name: str) -> dict[str, str]:
    """Signed pipelines: every queue verifies with the public key; the bootstrap queue alone signs with the private one."""
    signing = model.buildkite.signing if model.buildkite is not None else None
    behaviour = model.verification_failure(queue_name)
    if signing is None or behaviour is None:
        return {}
    params = {
        "BuildkiteAgentVerificationKeySSMParameter": signing.public_key_path,
        "PipelineSigningVerificationFailureBehavior": behaviour,
    }
    if agent_tokens.signs(model, queue_name):
        params["BuildkiteAgentSigningKeySSMParameter"] = signing.private_key_path
        params["BuildkiteAgentSigningKeyID"] = signing.key_id
    return params


def signing_key_paths(model: QueuesFile, queue_name: str) -> tuple[str, ...]:
    """The SSM paths of the JWKS a queue's agents read: the public key, then the private one on the bootstrap queue."""
    params = signing_parameters(model, queue_name)
    return tuple(
        params[p]
        for p in ("BuildkiteAgentVerificationKeySSMParameter", "BuildkiteAgentSigningKeySSMParameter")
        if p in params
    )


def overrides(model: QueuesFile, queue: AwsQueue) -> dict[str, tuple[tuple[str, ...], Any]]:
    """Overrides to check against the catalog, with the key path each came from."""
    found: dict[str, tuple[tuple[str, ...], Any]] = {}
    for name, value in model.aws_settings().queue_defaults.parameters.items():
        found[name] = (("aws", "queue_defaults", "parameters", name), value)
    for name, value in queue.parameters.items():
        found[name] = (("parameters", name), value)
    return found
