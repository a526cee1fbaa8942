"""What the agents of a queue may do with the CI image registry: IAM statements, by kind of registry.

Every queue pulls; builders push, to exactly the declared repositories. ECR
Public is a registry of its own (`ecr-public:` actions on
`arn:<partition>:ecr-public::<account>:repository/<name>`, a login through
`sts:GetServiceBearerToken`); private ECR repositories live in the main
region. A pull-through cache of public.ecr.aws lets every queue pull through
it, which creates the cached repository on its first pull. Pure: data for
CiAccessPolicy.
"""

from __future__ import annotations

import dataclasses

from constructs_lib.queues.model import CiRegistry

ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECR_PUSH = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
ECR_PUBLIC_PUSH = [
    "ecr-public:BatchCheckLayerAvailability", "ecr-public:CompleteLayerUpload", "ecr-public:InitiateLayerUpload",
    "ecr-public:PutImage", "ecr-public:UploadLayerPart",
]
# The login calls have no resource-level permissions.
ECR_LOGIN = {"sid": "EcrLogin", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]}
ECR_PUBLIC_LOGIN = {"sid": "EcrPublicLogin", "actions": ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"], "resources": ["*"]}


@dataclasses.dataclass(frozen=True)
class RegistryAccess:
    pull: tuple[dict, ...] = ()  # every queue
    push: tuple[dict, ...] = ()  # builders, besides


def registry_access(registry: CiRegistry | None, *, partition: str, account: str, main_region: str) -> RegistryAccess:
    if registry is None:
        return RegistryAccess()
    pull: list[dict] = []
    push: list[dict] = []
    if registry.ecr_public is not None:
        arns = [f"arn:{partition}:ecr-public::{account}:repository/{repo}" for repo in registry.ecr_public.repositories]
        pull.append(ECR_PUBLIC_LOGIN)
        push.append({"sid": "PushCiImages", "actions": ECR_PUBLIC_PUSH, "resources": arns})
    if registry.ecr_private is not None:
        arns = [private_arn(partition, main_region, account, repo) for repo in registry.ecr_private.repositories]
        pull += [ECR_LOGIN, {"sid": "PullCiImages", "actions": ECR_PULL, "resources": arns}]
        push.append({"sid": "PushCiImages", "actions": ECR_PUSH, "resources": arns})
    if registry.pull_through_cache is not None:
        if ECR_LOGIN not in pull:
            pull.append(ECR_LOGIN)
        cached = private_arn(partition, main_region, account, f"{registry.pull_through_cache}/*")
        pull.append({"sid": "PullThroughCache", "actions": ECR_PULL + ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], "resources": [cached]})
    return RegistryAccess(tuple(pull), tuple(push))


def private_arn(partition: str, region: str, account: str, repository: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
