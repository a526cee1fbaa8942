"""What the agents of one queue may do with the CI image registry: IAM statements, by kind of registry.

Push rights follow the builds a queue serves: a queue that pushes (aws.builder
or aws.pushes) pushes to the repositories declared for its builds, nowhere
else, so a fork's build on an untrusted builder reaches only the untrusted
repository. A queue pulls, images and layer caches alike, what its builds and
more trusted ones wrote (constructs_lib.queues.model.readable_kinds), so an
untrusted build's only where it serves untrusted builds itself. ECR Public is a
registry of its own (`ecr-public:` actions on
`arn:<partition>:ecr-public::<account>:repository/<name>`, a login through
`sts:GetServiceBearerToken`; its pulls need no right); private ECR
repositories live in the main region. A pull-through cache of public.ecr.aws
lets every queue pull through it, which creates the cached repository on its
first pull. The BuildKit layer caches (`caches`) are private ECR
repositories; a queue that pushes writes its builds' own. Pure: data for
CiAccessPolicy.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from constructs_lib.infra.aws.iam_statement import Statement
from constructs_lib.queues.model import BuildKind, CiRegistry, readable_kinds

ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ECR_PUSH = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]
ECR_PUBLIC_PUSH = [
    "ecr-public:BatchCheckLayerAvailability",
    "ecr-public:CompleteLayerUpload",
    "ecr-public:InitiateLayerUpload",
    "ecr-public:PutImage",
    "ecr-public:UploadLayerPart",
]
# The login calls have no resource-level permissions.
ECR_LOGIN: Statement = {"sid": "EcrLogin", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]}
ECR_PUBLIC_LOGIN: Statement = {
    "sid": "EcrPublicLogin",
    "actions": ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"],
    "resources": ["*"],
}


@dataclasses.dataclass(frozen=True)
class RegistryAccess:
    pull: tuple[Statement, ...] = ()
    push: tuple[Statement, ...] = ()


def registry_access(
    registry: CiRegistry | None,
    *,
    partition: str,
    account: str,
    main_region: str,
    serves: Sequence[BuildKind],
    pushes: bool,
) -> RegistryAccess:
    if registry is None:
        return RegistryAccess()
    pull: list[Statement] = []
    push: list[Statement] = []
    pushed = registry.repositories_for(serves) if pushes else ()
    if registry.ecr_public is not None:
        pull.append(ECR_PUBLIC_LOGIN)
        if pushed:
            arns = [f"arn:{partition}:ecr-public::{account}:repository/{repo}" for repo in pushed]
            push.append({"sid": "PushCiImages", "actions": ECR_PUBLIC_PUSH, "resources": arns})
    if registry.ecr_private is not None:
        readable = registry.repositories_for(readable_kinds(serves))
        pull += [
            ECR_LOGIN,
            {
                "sid": "PullCiImages",
                "actions": ECR_PULL,
                "resources": [private_arn(partition, main_region, account, r) for r in readable],
            },
        ]
        if pushed:
            arns = [private_arn(partition, main_region, account, repo) for repo in pushed]
            push.append({"sid": "PushCiImages", "actions": ECR_PUSH, "resources": arns})
    if registry.caches is not None:
        caches = registry.caches
        region = caches.region or main_region
        readable = caches.read_by(serves)
        if ECR_LOGIN not in pull:
            pull.append(ECR_LOGIN)
        pull.append(
            {
                "sid": "ReadLayerCaches",
                "actions": ECR_PULL,
                "resources": [private_arn(partition, region, account, r) for r in readable],
            }
        )
        written = sorted({name for kind in serves if (name := caches.written_by(kind)) is not None}) if pushes else []
        if written:
            push.append(
                {
                    "sid": "WriteLayerCaches",
                    "actions": ECR_PUSH,
                    "resources": [private_arn(partition, region, account, r) for r in written],
                }
            )
    if registry.pull_through_cache is not None:
        if ECR_LOGIN not in pull:
            pull.append(ECR_LOGIN)
        cached = private_arn(partition, main_region, account, f"{registry.pull_through_cache}/*")
        pull.append(
            {
                "sid": "PullThroughCache",
                "actions": ECR_PULL + ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                "resources": [cached],
            }
        )
    return RegistryAccess(tuple(pull), tuple(push))


def private_arn(partition: str, region: str, account: str, repository: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
