"""AwsRegionStack: every AWS queue of one region and the base they share."""

from __future__ import annotations

from cdktf import S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib.infra.aws.agent_secrets import AgentSecrets
from constructs_lib.infra.aws.cache_access import cache_access
from constructs_lib.infra.aws.ci_access_policy import CiAccessPolicy
from constructs_lib.infra.aws.elastic_ci_queue import ElasticCiQueue
from constructs_lib.infra.aws.encryption_key import EncryptionKey, ServiceGrant
from constructs_lib.infra.aws.host_scripts import HostScripts, ModelCacheMount
from constructs_lib.infra.aws.model_cache import ModelCacheFileSystem
from constructs_lib.infra.aws.private_bucket import PrivateBucket, derived_bucket_name
from constructs_lib.infra.aws.private_registry import PrivateRegistry, expiry_policy, lifecycle_policy
from constructs_lib.infra.aws.registry_access import registry_access
from constructs_lib.infra.aws.shared_network import SharedNetwork
from constructs_lib.infra.aws.stack_events import StackEvents, topic_name
from constructs_lib.infra.aws.vpc_flow_log import FlowLogTarget, log_group_name
from constructs_lib.infra.jsii.providers import aws
from constructs_lib.infra.stacks.queue_scope import MAIN, KeepsQueueAddresses, queue_scope
from constructs_lib.queues import model_cache
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.model import ECR_PUBLIC_HOST, AwsQueue, QueuesFile

TAGS = {"ManagedBy": "buildkite-ci-toolkit"}
# Build-cache objects older than this are removed: a cache refills itself.
CACHE_EXPIRE_DAYS = 30


class AwsRegionStack(KeepsQueueAddresses, TerraformStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile, region: str, queues: dict[str, AwsQueue]):
        super().__init__(scope, id)
        settings = model.aws_settings()
        aws.AwsProvider(self, "aws", region=region, default_tags=[{"tags": TAGS}])
        # No `encrypt = true`: it makes the backend ask for SSE-S3 on every write,
        # overriding the state bucket's default encryption with the state stack's
        # KMS key. Left unset, every state object is encrypted with that key.
        S3Backend(
            self,
            bucket=settings.state.bucket,
            key=f"{id}/terraform.tfstate",
            region=ecp.state_region(model),
            dynamodb_table=settings.state.lock_table,
        )
        name = f"buildkite-{region}"
        identity = aws.DataAwsCallerIdentity(self, "account")
        partition = aws.DataAwsPartition(self, "partition")
        account, arn_partition = identity.account_id, partition.partition
        key = EncryptionKey(
            self,
            "key",
            alias=name,
            description=f"Buildkite CI in {region}: agent tokens, HF token, flow logs, stack events",
            account_id=account,
            partition=arn_partition,
            services=(
                ServiceGrant(
                    "CloudWatchLogsEncryptsFlowLogs",
                    f"logs.{region}.amazonaws.com",
                    "aws:logs:arn",
                    f"arn:{arn_partition}:logs:{region}:{account}:log-group:{log_group_name(name)}",
                ),
                ServiceGrant(
                    "CloudFormationPublishesStackEvents",
                    "cloudformation.amazonaws.com",
                    "aws:sns:topicArn",
                    f"arn:{arn_partition}:sns:{region}:{account}:{topic_name(name)}",
                ),
            ),
        )
        network = SharedNetwork(
            self,
            "network",
            network=settings.networks[region],
            name=name,
            flow_logs=FlowLogTarget(
                kms_key_arn=key.arn, key_policy=key.policy, account_id=account, partition=arn_partition, region=region
            ),
        )
        secrets = AgentSecrets(
            self,
            "secrets",
            token_paths=[ecp.token_path(model, q) for q in queues],
            hf_secret_name=settings.hf_token_secret,
            name=name,
            kms_key_alias=key.alias_name,
            kms_key_arn=key.arn,
            signing_keys=signing_key_paths(model, queues),
        )
        events = StackEvents(self, "stack-events", name=name, kms_key_arn=key.arn)
        TerraformOutput(self, "stack-events-topic", value=events.arn)
        registry = settings.registry
        if registry is not None and region == settings.region:
            private = registry.ecr_private
            if private is not None:
                PrivateRegistry(
                    self,
                    "registry",
                    repositories=list(private.repositories),
                    kms_key_arn=key.arn,
                    policy=lifecycle_policy(private.untagged_days, private.keep_images),
                )
            if registry.pull_through_cache is not None:
                aws.EcrPullThroughCacheRule(
                    self,
                    "pull-through-cache",
                    ecr_repository_prefix=registry.pull_through_cache,
                    upstream_registry_url=ECR_PUBLIC_HOST,
                )
        if (
            registry is not None
            and registry.caches is not None
            and region == (registry.caches.region or settings.region)
        ):
            PrivateRegistry(
                self,
                "layer-caches",
                repositories=list(registry.caches.repositories),
                kms_key_arn=key.arn,
                policy=expiry_policy(registry.caches.expire_days),
            )
        cache_arn = None
        if settings.build_cache_bucket:
            cache_arn = f"arn:{arn_partition}:s3:::{settings.build_cache_bucket}"
            if region == settings.region:
                PrivateBucket(
                    self,
                    "build-cache",
                    bucket=settings.build_cache_bucket,
                    noncurrent_days=1,
                    expire_days=CACHE_EXPIRE_DAYS,
                )

        boot = HostScripts(
            self,
            "host-scripts",
            bucket=boot_bucket_name(settings.state.bucket, region),
            role_names=[ecp.instance_role_name(name) for name in queues],
            account_id=account,
            partition=arn_partition,
        )
        mounts = {name: point for name, point in model_cache.mounting_queues(model).items() if name in queues}
        cache_fs = None
        if mounts and settings.model_cache is not None:
            cache_fs = ModelCacheFileSystem(
                self,
                "model-cache",
                name=name,
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                agents_security_group_id=network.security_group.id,
                kms_key_arn=key.arn,
                throughput=settings.model_cache.throughput,
            )
        for queue_name, queue in queues.items():
            scope = queue_scope(self, queue_name)
            construct = ElasticCiQueue(
                scope,
                MAIN,
                queue_name=queue_name,
                stack_name=ecp.stack_name(queue_name),
                template_url=ecp.template_url(ecp.version(model, queue)),
                parameters=ecp.parameters(model, queue_name, queue),
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                security_group_id=network.security_group.id,
                token_kms_key_id=key.key_id,
                notification_arns=[events.arn],
                bootstrap_script_url=boot.for_queue(
                    queue_name,
                    ModelCacheMount(cache_fs.id, region, mounts[queue_name])
                    if cache_fs and queue_name in mounts
                    else None,
                ),
                bootstrap_script_ready=boot.ready
                + (cache_fs.mount_targets if cache_fs and queue_name in mounts else []),
            )
            serves = model.queues[queue_name].builds
            CiAccessPolicy(
                scope,
                "access",
                name=f"{ecp.stack_name(queue_name)}-ci-access",
                role_name=construct.instance_role_name,
                registry=registry_access(
                    registry,
                    partition=arn_partition,
                    account=account,
                    main_region=settings.region,
                    serves=serves,
                    pushes=queue.may_push,
                ),
                cache=cache_access(cache_arn, serves=serves, pushes=queue.may_push),
                hf_secret_arn=secrets.hf_token.arn,
                hf_secret_key_arn=key.arn,
                region=region,
                needs_hf_token=queue.needs_hf_token,
                signing_key_arns=tuple(
                    f"arn:{arn_partition}:ssm:{region}:{account}:parameter{path}"
                    for path in ecp.signing_key_paths(model, queue_name)
                ),
            )
            TerraformOutput(scope, "stack-id", value=construct.stack.id)


def boot_bucket_name(state_bucket: str, region: str) -> str:
    """The region's host-scripts bucket, named after the state bucket (queues.yaml names no more buckets)."""
    return derived_bucket_name(state_bucket, f"boot-{region}")


def signing_key_paths(model: QueuesFile, queues: dict[str, AwsQueue]) -> dict[str, str]:
    """The JWKS parameters a region holds: the public one where its queues verify, the private one where the bootstrap queue signs."""
    found: dict[str, str] = {}
    for name in queues:
        paths = ecp.signing_key_paths(model, name)
        if paths:
            found["public"] = paths[0]
        if len(paths) > 1:
            found["private"] = paths[1]
    return found
