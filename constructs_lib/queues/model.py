"""The queue model: what `queues.yaml` may say, as typed, validated data.

Pure data and validation. Nothing here imports cdktf: the CI bootstrap loads
this model on small agents. Shape and types are checked by pydantic (strict:
no `"1"` for 1, no `true` for 1, no 6.2 for "6.2"); rules that span fields
live in `constructs_lib.queues.rules`, so each problem can name its own key.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Sequence, Union

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from constructs_lib.queues.fields import (
    MAX_POOL_NODES,
    PATTERN_NAMES,
    AwsRegion,
    BranchFilter,
    Capability,
    Cidr,
    ClusterName,
    ContainerPath,
    DeviceName,
    DynamoTable,
    EcrRepository,
    EnvName,
    EnvValue,
    GcpAccelerator,
    GcpMachineType,
    GcpProject,
    GcpRegion,
    GcpZone,
    GcsBucket,
    GcsLocation,
    GitRef,
    GkeSecurityGroup,
    HexColor,
    KeyId,
    KubeName,
    LabelKey,
    LabelValue,
    Name,
    OrgSlug,
    Partition,
    PipelineSlug,
    QueueName,
    Registry,
    RepositoryUrl,
    S3Bucket,
    SecretName,
    SsmPath,
    StackVersion,
    Strict,
    SubnetId,
    Token,
    Volume,
    VpcId,
    named,
)
from constructs_lib.queues.hostings import HOSTINGS, Hostings

# The hosting sections, where the rest of the toolkit names them (each is defined by its unit under hostings/).
from constructs_lib.queues.hostings.aws.section import AwsQueue as AwsQueue
from constructs_lib.queues.hostings.aws.section import AwsQueueOptions as AwsQueueOptions
from constructs_lib.queues.hostings.external.section import ExternalQueue as ExternalQueue
from constructs_lib.queues.hostings.kubernetes.section import KubernetesQueue as KubernetesQueue
from constructs_lib.queues.hostings.tpu.section import TpuFleet as TpuFleet

__all__ = ["HOSTINGS", "PATTERN_NAMES"]


class Accelerator(Strict):
    """Accelerators each agent of a queue offers."""

    type: Token = Field(description="Accelerator kind as steps name it: l4, a100, h100, h200, b200, mi325, tpu, ...")
    count: int = Field(ge=1, le=16, description="Accelerators per agent.")
    partition: Optional[Partition] = Field(
        None,
        description="A GPU partition (MIG slice) each job gets, by its memory: 18gb, 35gb, ... Absent: whole GPUs.",
    )


class SecretKeyRef(Strict):
    """A key of a Kubernetes secret, as an environment variable of the pod."""

    secret: KubeName
    key: Annotated[str, named(r"^[A-Za-z0-9._-]{1,253}$", "secret key")]
    optional: bool = Field(False, description="The pod starts without the variable when the secret is missing.")


class PodFields(Strict):
    """Pod settings of a kubernetes runner (agent-stack-k8s podSpec)."""

    node_selector: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Node labels the pod must land on."
    )
    runtime_class: Optional[KubeName] = Field(None, description="runtimeClassName, e.g. nvidia.")
    host_network: bool = Field(False, description="Share the node's network (DNS policy ClusterFirstWithHostNet).")
    image_pull_secrets: list[KubeName] = Field([], description="Secrets to pull the CI image with.")
    priority_class: Optional[KubeName] = Field(None, description="priorityClassName.")
    capabilities: list[Capability] = Field([], description="Linux capabilities added to the container, e.g. IPC_LOCK.")
    secrets: dict[EnvName, SecretKeyRef] = Field(
        default_factory=dict,
        description="Variables from Kubernetes secrets; trusted builds only (HF_TOKEN is governed by needs_hf_token).",
    )


class Runner(Strict):
    """How the jobs of a queue run in the CI image: the plugin and what the container gets."""

    plugin: Literal["docker", "kubernetes"] = Field(
        description="docker#v5 on the agent's host, or agent-stack-k8s pods."
    )
    gpus: Optional[Literal["all", "count", "partition", "runtime", "none"]] = Field(
        None,
        description="How GPUs reach the container: all (docker --gpus all), count (kubernetes nvidia.com/gpu: the job's count), "
        "partition (the MIG slice the agent was given: CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES and /dev/nvidiactl), "
        "runtime (the host's default docker runtime is NVIDIA's, which gives every GPU: no flag), none. "
        "Absent: partition or all (docker) and count (kubernetes) on queues with accelerators, else none.",
    )
    pull_through_cache: Optional[Registry] = Field(
        None,
        description="Pull the CI image through this registry prefix (an ECR pull-through cache): <prefix>/<path after the registry host>.",
    )
    hf_home: Optional[ContainerPath] = Field(
        None,
        description="HF_HOME in the container. Absent: the agent's HF_HOME is passed by name (docker) or not set (kubernetes).",
    )
    environment: dict[EnvName, EnvValue] = Field(default_factory=dict, description="Variables set in the container.")
    pass_environment: list[EnvName] = Field([], description="The job's variables passed to the container by name.")
    secrets: list[EnvName] = Field(
        [], description="docker: the agent's secret variables passed by name, in trusted builds only."
    )
    volumes: list[Volume] = Field(
        [], description="Host paths mounted into the container (kubernetes: hostPath volumes)."
    )
    mount_buildkite_agent: bool = Field(
        False, description="docker: mount the agent binary (artifact uploads from inside)."
    )
    pod: Optional[PodFields] = Field(None, description="kubernetes only: pod settings.")


class QueueRouting(Strict):
    """How the bootstrap places test steps on this queue."""

    general: bool = Field(
        True, description="Take any step whose needs fit. False: only pinned labels, named devices and hardware lines."
    )
    labels: list[str] = Field([], description="Step labels always sent to this queue.")
    devices: list[DeviceName] = Field(
        [], description="Device names of the tested repository's step files (`device:`) served by this queue."
    )
    hardware: list[Token] = Field(
        [], description="Hardware lines (mirrors, hardware test groups) served by this queue: amd, neuron, tpu, ..."
    )


VerificationFailure = Literal["warn", "block"]


class QueueInBuildkite(Strict):
    """The queue's side in Buildkite: its cluster queue (buildkite stack) and its agents' verification of signed jobs."""

    cluster: Optional[ClusterName] = Field(
        None, description="The cluster it belongs to (buildkite.clusters). Absent: the first cluster."
    )
    dispatch_paused: bool = Field(
        False, description="Pause dispatch: jobs wait in the queue while its agents finish what they run (drain)."
    )
    retry_agent_affinity: Optional[Literal["prefer-warmest", "prefer-different"]] = Field(
        None, description="Which agent a retried job prefers: prefer-warmest (Buildkite's default) or prefer-different."
    )
    verification_failure: Optional[VerificationFailure] = Field(
        None,
        description="What its agents do with a job whose signature is missing or wrong: warn (run it, log a warning) or block "
        "(refuse it). Absent: buildkite.signing.verification_failure.",
    )


Architecture = Literal["x86_64", "arm64"]
BuildKind = Literal["premerge", "postmerge", "release", "untrusted"]
BUILD_KINDS: tuple[BuildKind, ...] = ("premerge", "postmerge", "release", "untrusted")
# The builds of code from outside the pipeline's repository (constructs_lib.queues.trust).
UNTRUSTED: BuildKind = "untrusted"


class Queue(Hostings):
    description: Optional[str] = None
    accelerator: Optional[Accelerator] = Field(None, description="Absent: CPU only.")
    family: Optional[Token] = Field(
        None,
        description="What step files call a host without accelerators when it is not a plain CPU host: intel_cpu, arm_cpu, amd_cpu. "
        "A queue with accelerators is of their type's family.",
    )
    variant: Optional[Token] = Field(
        None,
        description="The variant step files name after a dash: `cpu-small` is variant small of a CPU queue, `b200-k8s` variant k8s of a b200 queue.",
    )
    architecture: Architecture = Field(
        "x86_64", description="CPU architecture of the agents; image builds run on a builder of their own."
    )
    builds: list[BuildKind] = Field(
        list(BUILD_KINDS),
        min_length=1,
        description="Builds it serves: premerge (trusted PR and feature-branch builds), postmerge (the default branch), release, "
        "untrusted (PRs from forks or unknown repositories). A queue that pushes serves untrusted builds alone or not at all.",
    )
    timeout_in_minutes: Optional[int] = Field(
        None,
        ge=1,
        le=10080,
        description="Timeout of its jobs that set none (a mirror's own, else this, else its parent step's).",
    )
    runner: Optional[Union[Name, Runner]] = Field(
        None,
        description="How its jobs run in the CI image: a runner of the top-level runners, or one written here. Absent: the plugin of its hosting with the toolkit's defaults.",
    )
    routing: QueueRouting = Field(default_factory=QueueRouting)
    buildkite: QueueInBuildkite = Field(
        default_factory=QueueInBuildkite,
        description="Where the queue lives in Buildkite and how Buildkite dispatches to it.",
    )

    @property
    def hosting(self) -> str:
        """The key of its hosting section (aws, tpu, kubernetes, external), or none."""
        for name in HOSTINGS:
            if getattr(self, name) is not None:
                return name
        return "none"

    @property
    def device_family(self) -> str:
        """The family step files name for this queue's hosts: its accelerator type, its family, else cpu."""
        if self.accelerator is not None:
            return self.accelerator.type
        return self.family or CPU_FAMILY


CPU_FAMILY = "cpu"
# The variable the HF token reaches a job in; only the toolkit decides where (needs_hf_token, fork PRs).
HF_TOKEN = "HF_TOKEN"


class ExistingVpc(Strict):
    vpc_id: VpcId
    subnet_ids: list[SubnetId] = Field(min_length=1)


class AwsRegionNetwork(Strict):
    """The shared network of one region: a new VPC, or an existing one."""

    vpc_cidr: Optional[Cidr] = None
    zones: int = Field(3, ge=1, le=6, description="Availability zones to spread subnets over.")
    existing_vpc: Optional[ExistingVpc] = None


ECR_PUBLIC_HOST = "public.ecr.aws"


RepositoryKinds = dict[EcrRepository, list[BuildKind]]


def _repositories_with_builds(value: object) -> object:
    if isinstance(value, list):
        raise ValueError(
            "list each repository with the builds whose builders push to it ({name: [premerge]}, ...): "
            "a plain list let every builder push everywhere, forks' builds included"
        )
    return value


RepositoriesField = Annotated[RepositoryKinds, BeforeValidator(_repositories_with_builds)]


class EcrPublic(Strict):
    alias: Annotated[str, named(r"^[a-z0-9][a-z0-9_-]{1,49}$", "ECR Public registry alias")] = Field(
        description="The registry alias: images are public.ecr.aws/<alias>/<repository>."
    )
    repositories: RepositoriesField = Field(
        min_length=1,
        description="Repositories of that registry, each with the builds whose builders push to it (premerge, postmerge, release, untrusted).",
    )


class EcrPrivate(Strict):
    repositories: RepositoriesField = Field(
        min_length=1,
        description="Repositories the toolkit creates in the main region, each with the builds whose builders push to it.",
    )
    untagged_days: int = Field(7, ge=1, le=3650, description="Untagged images are removed after this many days.")
    keep_images: int = Field(
        1000, ge=1, le=10000, description="At most this many images per repository; the oldest go first."
    )


# How far each kind of build is trusted: a build reads what its own kind and more trusted ones wrote
# (images, layer caches, the build cache), never what a less trusted one did.
TRUST_RANK: dict[BuildKind, int] = {"untrusted": 0, "premerge": 1, "postmerge": 2, "release": 2}


def readable_kinds(serves: Sequence[BuildKind]) -> tuple[BuildKind, ...]:
    """The kinds whose writes builds of `serves` may read: those at least as trusted as the least trusted of them."""
    rank = min(TRUST_RANK[kind] for kind in serves)
    return tuple(kind for kind in BUILD_KINDS if TRUST_RANK[kind] >= rank)


class LayerCaches(Strict):
    """BuildKit layer caches of the image builds: private ECR repositories, never public (intermediate layers stay private)."""

    region: Optional[AwsRegion] = Field(
        None, description="Where the toolkit creates them: the image builders' region. Absent: aws.region."
    )
    expire_days: int = Field(
        14, ge=1, le=3650, description="Cache entries are removed this many days after they were pushed."
    )
    repositories: RepositoriesField = Field(
        min_length=1,
        description="Cache repositories, each with the builds that write it. A build reads its own and those of more trusted builds "
        "(untrusted < premerge < postmerge, release).",
    )

    def written_by(self, kind: BuildKind) -> Optional[str]:
        return next((name for name, kinds in self.repositories.items() if kind in kinds), None)

    def read_by(self, kinds: Sequence[BuildKind]) -> tuple[str, ...]:
        """The repositories builds of these kinds may read: their own and more trusted ones, most trusted last."""
        readable = set(readable_kinds(kinds))
        ranked = [
            (max(TRUST_RANK[k] for k in served), name)
            for name, served in self.repositories.items()
            if readable & set(served)
        ]
        return tuple(name for _, name in sorted(ranked, key=lambda item: item[0]))


class CiRegistry(Strict):
    """The CI image registry: an ECR Public alias, or private ECR repositories the toolkit creates."""

    ecr_public: Optional[EcrPublic] = None
    ecr_private: Optional[EcrPrivate] = None
    caches: Optional[LayerCaches] = Field(
        None, description="BuildKit layer caches of the image builds, per kind of build."
    )

    @property
    def image_registry(self) -> Optional[str]:
        """Where images are named, when queues.yaml can say (ECR Public; a private registry's name holds its account)."""
        return f"{ECR_PUBLIC_HOST}/{self.ecr_public.alias}" if self.ecr_public is not None else None

    @property
    def repositories(self) -> tuple[str, ...]:
        """Every repository of the registry."""
        given = self.ecr_public or self.ecr_private
        return tuple(given.repositories) if given is not None else ()

    def repositories_for(self, kinds: Sequence[BuildKind]) -> tuple[str, ...]:
        """The repositories the builders of these builds push to."""
        given = self.ecr_public or self.ecr_private
        if given is None:
            return ()
        return tuple(name for name, served in given.repositories.items() if set(served) & set(kinds))

    pull_through_cache: Optional[Annotated[str, named(r"^[a-z0-9][a-z0-9._/-]{1,29}$", "ECR repository prefix")]] = (
        Field(
            None,
            description="A pull-through cache of public.ecr.aws in the main region under this repository prefix; every queue may pull through it.",
        )
    )


class CiImages(Strict):
    gpu: Optional[SsmPath] = Field(
        None, description="SSM parameter holding the GPU AMI's id, per region (make ami KIND=gpu writes it)."
    )
    cpu: Optional[SsmPath] = Field(None, description="SSM parameter holding the CPU AMI's id (make ami KIND=cpu).")


class AwsState(Strict):
    bucket: S3Bucket
    lock_table: DynamoTable
    region: Optional[AwsRegion] = None


class ModelCache(Strict):
    """A model cache every GPU host shares: an EFS file system per region, mounted on the hosts where the queue's runner keeps HF_HOME."""

    throughput: Literal["elastic", "bursting"] = Field(
        "elastic",
        description="EFS throughput mode: elastic (pay per GB read and written, up to GiB/s) or bursting (credits by size).",
    )


class Aws(Strict):
    region: AwsRegion
    stack_version: StackVersion = "v6.71.1"
    agent_token_path: Optional[SsmPath] = Field(
        None,
        description="SSM SecureString of the agent token, without a buildkite section (with one, each cluster names its own).",
    )
    hf_token_secret: SecretName
    registry: Optional[CiRegistry] = Field(
        None, description="Where the CI images are: every queue pulls, builders push."
    )
    images: Optional[CiImages] = Field(
        None, description="The toolkit's AMIs (make ami), by the SSM parameters that hold their ids."
    )
    build_cache_bucket: Optional[S3Bucket] = None
    model_cache: Optional[ModelCache] = Field(
        None,
        description="A shared model cache (EFS) in each region whose queues' runners keep HF_HOME on a host volume; absent: none.",
    )
    state: AwsState
    networks: dict[AwsRegion, AwsRegionNetwork] = Field(description="Shared network per region used by a queue.")
    queue_defaults: AwsQueueOptions = Field(default_factory=AwsQueueOptions)


class GkeNodePool(Strict):
    queue: QueueName
    machine_type: GcpMachineType
    accelerator_type: Optional[GcpAccelerator] = None
    accelerator_count: int = Field(0, ge=0, le=16)
    min_nodes: int = Field(0, ge=0, le=MAX_POOL_NODES)
    max_nodes: int = Field(ge=0, le=MAX_POOL_NODES)
    zones: list[GcpZone] = Field(min_length=1)
    disk_size_gb: int = Field(200, ge=10, le=65536)


class Gke(Strict):
    enabled: bool = False
    name: Name = "ci"
    region: GcpRegion
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    master_cidr: Cidr = Field("172.16.0.0/28", description="Control plane range of the private cluster (a /28).")
    subnet_cidr: Cidr = Field("10.50.0.0/20", description="Node subnet of the cluster's network.")
    pods_cidr: Cidr = Field("10.64.0.0/14", description="Secondary range for pods.")
    services_cidr: Cidr = Field("10.50.16.0/20", description="Secondary range for services.")
    authorized_networks: list[Cidr] = Field(
        [],
        description="CIDRs that may reach the control plane's public endpoint (operators running helm/kubectl); none by default.",
    )
    rbac_security_group: Optional[GkeSecurityGroup] = Field(
        None,
        description="Google Groups for RBAC: the gke-security-groups@<domain> group whose member groups RBAC bindings may name "
        "(needs a Google Workspace or Cloud Identity domain); off when absent.",
    )
    node_pools: dict[Name, GkeNodePool] = Field(default_factory=dict)


class GcpSecrets(Strict):
    agent_token: Optional[Name] = Field(
        None,
        description="Secret Manager secret holding the agent token, without a buildkite section (with one, each cluster names its own).",
    )
    hf_token: Name = Field(description="Secret Manager secret holding the HF token.")


class GcpState(Strict):
    bucket: GcsBucket
    location: GcsLocation = "US"


class GcpNetwork(Strict):
    """The private network of the TPU agents: no external IPs, Cloud NAT for egress."""

    name: Name = "buildkite-agents"
    subnets: dict[GcpRegion, Cidr] = Field(
        default_factory=dict, description="Subnet per region that has TPU fleets, e.g. us-central1: 10.40.0.0/20."
    )


class Gcp(Strict):
    project: GcpProject
    region: GcpRegion
    state: GcpState
    secrets: GcpSecrets
    network: GcpNetwork = Field(default_factory=GcpNetwork)
    gke: Optional[Gke] = None


class Routing(Strict):
    default_gpu: Token = Field(description="Accelerator a step gets when it asks for GPUs without naming a type.")
    hf_token_for_fork_prs: bool = Field(
        False,
        description="Refused when true: untrusted builds (PRs from forks or unknown repositories) never get HF_TOKEN. Kept so that old files say why.",
    )
    bootstrap_queue: Optional[QueueName] = Field(
        None,
        description="The queue the bootstrap runs on: a step no queue can run becomes a failing step there. "
        "Absent: the queue named bootstrap, else the first queue without accelerators.",
    )


# -- Buildkite itself: the organization's clusters, pipelines and signing keys -------------


class Cluster(Strict):
    """A Buildkite cluster: its queues' agents connect with its own token."""

    description: Optional[str] = Field(None, max_length=500)
    emoji: Optional[Annotated[str, named(r"^:[a-z0-9_+-]+:$", "emoji like :rocket:")]] = None
    color: Optional[HexColor] = None
    agent_token_path: Optional[SsmPath] = Field(
        None,
        description="SSM SecureString holding the cluster's agent token, in every region with AWS queues of the cluster.",
    )
    agent_token_secret: Optional[Name] = Field(
        None, description="Secret Manager secret holding the cluster's agent token, for its TPU and Kubernetes queues."
    )


class ProviderSettings(Strict):
    """Which GitHub events build (the provider's provider_settings; absent keys keep Buildkite's defaults)."""

    trigger_mode: Literal["code", "deployment", "fork", "none"] = "code"
    build_branches: Optional[bool] = None
    build_tags: Optional[bool] = None
    build_pull_requests: Optional[bool] = None
    build_pull_request_forks: Optional[bool] = Field(
        None,
        description="Build PRs from forks: their builds are untrusted (constructs_lib.queues.trust) and run on untrusted queues.",
    )
    prefix_pull_request_fork_branch_names: Optional[bool] = Field(
        None,
        description="A fork's main becomes <owner>:main, so that branch conditions never take a fork's branch for the pipeline's.",
    )
    build_pull_request_ready_for_review: Optional[bool] = None
    build_pull_request_labels_changed: Optional[bool] = None
    skip_pull_request_builds_for_existing_commits: Optional[bool] = None
    skip_builds_for_existing_commits: Optional[bool] = None
    ignore_default_branch_pull_requests: Optional[bool] = None
    cancel_deleted_branch_builds: Optional[bool] = None
    publish_commit_status: Optional[bool] = None
    publish_commit_status_per_step: Optional[bool] = None
    publish_blocked_as_pending: Optional[bool] = None
    separate_pull_request_statuses: Optional[bool] = None
    pull_request_branch_filter_enabled: Optional[bool] = None
    pull_request_branch_filter_configuration: Optional[BranchFilter] = None


class Schedule(Strict):
    """A scheduled build of the pipeline."""

    cron: Annotated[
        str,
        named(
            r"^(@[a-z]+|[0-9*,/-]+ [0-9*,/-]+ [0-9*,/-]+ [0-9A-Za-z*,/-]+ [0-9A-Za-z*,/-]+( [A-Za-z_/+-]+)?)$",
            "cron line like '0 9 * * *' or '0 9 * * * America/Los_Angeles'",
        ),
    ]
    branch: Optional[GitRef] = Field(None, description="Absent: the pipeline's default branch.")
    environment: dict[EnvName, EnvValue] = Field(
        default_factory=dict, description="Variables of the scheduled builds, e.g. NIGHTLY: '1'."
    )
    message: Optional[str] = Field(None, max_length=200)
    enabled: bool = True


class Pipeline(Strict):
    """A Buildkite pipeline whose first step is the toolkit's bootstrap."""

    name: str = Field(min_length=1, max_length=100)
    repository: RepositoryUrl
    cluster: Optional[ClusterName] = Field(
        None, description="Its cluster: it runs jobs on that cluster's queues only. Absent: the first cluster."
    )
    default_branch: GitRef = "main"
    description: Optional[str] = Field(None, max_length=500)
    visibility: Literal["PUBLIC", "PRIVATE"] = "PRIVATE"
    default_team_id: Optional[Annotated[str, named(r"^[A-Za-z0-9=+/_-]{1,200}$", "GraphQL id")]] = Field(
        None,
        description="GraphQL id of the team given the pipeline at creation: Buildkite requires one in organizations with teams.",
    )
    skip_intermediate_builds: bool = False
    skip_intermediate_builds_branch_filter: Optional[BranchFilter] = None
    cancel_intermediate_builds: bool = False
    cancel_intermediate_builds_branch_filter: Optional[BranchFilter] = None
    default_timeout_in_minutes: Optional[int] = Field(None, ge=1, le=10080)
    maximum_timeout_in_minutes: Optional[int] = Field(None, ge=1, le=10080)
    provider_settings: ProviderSettings = Field(default_factory=ProviderSettings)
    bootstrap_environment: dict[EnvName, EnvValue] = Field(
        default_factory=dict,
        description="Settings of the bootstrap step (PIPELINE_FILE, QUEUES_FILE, ...): README, Calling it.",
    )
    schedules: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Schedule] = Field(
        default_factory=dict, description="Scheduled builds by label."
    )


class Toolkit(Strict):
    """Where the bootstrap step fetches this toolkit from."""

    repository: RepositoryUrl
    ref: GitRef = "main"


class Signing(Strict):
    """Signed pipelines: the bootstrap queue signs what it uploads, every agent verifies what it runs."""

    key_id: KeyId = Field(description="The key's id (buildkite-agent tool keygen --key-id).")
    private_key_path: SsmPath = Field(
        description="SSM SecureString of the private JWKS, in the bootstrap queue's region; only the bootstrap queue reads it."
    )
    public_key_path: SsmPath = Field(description="SSM parameter of the public JWKS, in every region with AWS queues.")
    public_key_secret: Optional[Name] = Field(
        None, description="Secret Manager secret of the public JWKS: TPU hosts and Kubernetes agents."
    )
    verification_failure: VerificationFailure = Field(
        "block",
        description="What agents do with a job without a valid signature, unless the queue says: warn (while rolling out) or block.",
    )


class BuildkiteOrg(Strict):
    """The Buildkite organization: its clusters, their queues (every queue of the file), the pipelines and signing."""

    organization: OrgSlug
    clusters: dict[ClusterName, Cluster] = Field(min_length=1)
    toolkit: Optional[Toolkit] = Field(
        None, description="Where the pipelines' bootstrap step clones the toolkit from; needed with pipelines."
    )
    pipelines: dict[PipelineSlug, Pipeline] = Field(default_factory=dict)
    signing: Optional[Signing] = None

    def first_cluster(self) -> str:
        return next(iter(self.clusters))


class QueuesFile(Strict):
    """The whole of queues.yaml."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="queues.yaml", defer_build=True)

    buildkite: Optional[BuildkiteOrg] = Field(
        None, description="Buildkite itself: clusters, cluster queues, pipelines, signing."
    )
    aws: Optional[Aws] = None
    gcp: Optional[Gcp] = None
    routing: Routing
    runners: dict[Name, Runner] = Field(default_factory=dict, description="Runners shared by several queues, by name.")
    queues: dict[QueueName, Queue] = Field(min_length=1)

    def runner_of(self, name: str) -> Optional[Runner]:
        """The runner queues.yaml declares for queue `name` (by reference or inline); None: the toolkit's default."""
        given = self.queues[name].runner
        if isinstance(given, str):
            return self.runners.get(given)
        return given

    def bootstrap_queue(self) -> str:
        """Where the bootstrap runs (and a step no queue can run fails): routing.bootstrap_queue, the queue named bootstrap, or the first CPU queue."""
        if self.routing.bootstrap_queue:
            return self.routing.bootstrap_queue
        if "bootstrap" in self.queues:
            return "bootstrap"
        return next((name for name, q in self.queues.items() if q.accelerator is None), next(iter(self.queues)))

    def cluster_of(self, name: str) -> Optional[str]:
        """The Buildkite cluster of queue `name`; None without a buildkite section."""
        if self.buildkite is None:
            return None
        return self.queues[name].buildkite.cluster or self.buildkite.first_cluster()

    def verification_failure(self, name: str) -> Optional[VerificationFailure]:
        """warn or block for queue `name`'s agents; None when nothing is signed."""
        if self.buildkite is None or self.buildkite.signing is None:
            return None
        return self.queues[name].buildkite.verification_failure or self.buildkite.signing.verification_failure

    def hosted(self, hosting: str) -> dict[str, Queue]:
        return {name: q for name, q in self.queues.items() if q.hosting == hosting}

    # The top-level sections, for code that runs only where the loader has made
    # sure they exist (an AWS queue needs `aws`, a TPU fleet `gcp`, ...).
    def aws_settings(self) -> Aws:
        if self.aws is None:
            raise ValueError("queues.yaml has no aws section")
        return self.aws

    def gcp_settings(self) -> Gcp:
        if self.gcp is None:
            raise ValueError("queues.yaml has no gcp section")
        return self.gcp

    def gke_settings(self) -> Gke:
        gke = self.gcp_settings().gke
        if gke is None:
            raise ValueError("queues.yaml has no gcp.gke section")
        return gke

    # The hosting section of each queue hosted that way, typed (hosted() gives whole queues).
    def aws_queues(self) -> dict[str, AwsQueue]:
        return {name: q.aws for name, q in self.queues.items() if q.aws is not None}

    def tpu_fleets(self) -> dict[str, TpuFleet]:
        return {name: q.tpu for name, q in self.queues.items() if q.tpu is not None}

    def kubernetes_queues(self) -> dict[str, KubernetesQueue]:
        return {name: q.kubernetes for name, q in self.queues.items() if q.kubernetes is not None}
