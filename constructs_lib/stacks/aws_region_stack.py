"""AwsRegionStack: every AWS queue of one region and the base they share."""

from __future__ import annotations

from cdktf import S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import elastic_ci_parameters as ecp
from constructs_lib.aws.agent_secrets import AgentSecrets
from constructs_lib.aws.ci_access_policy import CiAccessPolicy
from constructs_lib.aws.elastic_ci_queue import ElasticCiQueue
from constructs_lib.aws.private_bucket import PrivateBucket
from constructs_lib.aws.shared_network import SharedNetwork
from constructs_lib.model import QueuesFile
from constructs_lib.providers import aws

TAGS = {"ManagedBy": "buildkite-ci-toolkit"}


def stack_id(region: str) -> str:
    return f"aws-{region}"


class AwsRegionStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile, region: str, queue_names: list[str]):
        super().__init__(scope, id)
        settings = model.aws
        aws.AwsProvider(self, "aws", region=region, default_tags=[{"tags": TAGS}])
        S3Backend(
            self,
            bucket=settings.state.bucket,
            key=f"{id}/terraform.tfstate",
            region=settings.state.region or settings.region,
            dynamodb_table=settings.state.lock_table,
            encrypt=True,
        )
        queues = {name: model.queues[name].aws for name in queue_names}
        name = f"buildkite-{region}"
        network = SharedNetwork(self, "network", network=settings.networks[region], name=name)
        secrets = AgentSecrets(
            self,
            "secrets",
            token_paths=[ecp.token_path(model, q) for q in queues.values()],
            hf_secret_name=settings.hf_token_secret,
            name=name,
        )
        identity = aws.DataAwsCallerIdentity(self, "account")
        partition = aws.DataAwsPartition(self, "partition")
        repository_arns = [
            f"arn:{partition.partition}:ecr:{settings.region}:{identity.account_id}:repository/{repo}"
            for repo in settings.image_repositories
        ]
        cache_arn = None
        if settings.build_cache_bucket:
            cache_arn = f"arn:{partition.partition}:s3:::{settings.build_cache_bucket}"
            if region == settings.region:
                PrivateBucket(self, "build-cache", bucket=settings.build_cache_bucket)

        self.queues: dict[str, ElasticCiQueue] = {}
        for queue_name, queue in queues.items():
            construct = ElasticCiQueue(
                self,
                queue_name,
                model=model,
                queue_name=queue_name,
                queue=queue,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                security_group_id=network.security_group.id,
            )
            CiAccessPolicy(
                self,
                f"{queue_name}-access",
                name=f"{ecp.stack_name(queue_name)}-ci-access",
                role_name=construct.instance_role_name,
                repository_arns=repository_arns,
                cache_bucket_arn=cache_arn,
                hf_secret_arn=secrets.hf_token.arn,
                builder=queue.builder,
                needs_hf_token=queue.needs_hf_token,
            )
            TerraformOutput(self, f"{queue_name}-stack-id", value=construct.stack.id)
            self.queues[queue_name] = construct
