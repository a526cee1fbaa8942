"""The field types of queues.yaml: names the clouds accept, with what each pattern means in words.

Pure: pydantic only. The queue model (`model.py`) and each hosting kind's
section (`hostings/`) are built from these.
"""

from __future__ import annotations

import re
from typing import Annotated, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

PATTERN_NAMES: dict[str, str] = {}


def named(regex: str, what: str) -> StringConstraints:
    """The constraint of a string pattern, remembering what the pattern means."""
    PATTERN_NAMES[regex] = what
    return StringConstraints(pattern=regex)


# A Buildkite queue tag value; also the seed of stack and resource names.
QueueName = Annotated[
    str, named(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", "queue name (letters, digits, '_', '.', '-'; at most 63)")
]
InstanceType = Annotated[
    str, named(r"^[a-z][a-z0-9-]*\.[0-9]*[a-z]+[0-9]*[a-z]*$", "EC2 instance type like g6.4xlarge")
]
StackVersion = Annotated[str, named(r"^v[0-9]+\.[0-9]+\.[0-9]+$", "stack version like v6.71.1")]
AwsRegion = Annotated[str, named(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", "AWS region like us-west-2")]
SSM_MAX_LEVELS = 15


def _ssm_path(value: str) -> str:
    """The names SSM Parameter Store refuses, refused here (its pattern alone lets them through)."""
    parts = value[1:].split("/")
    if "" in parts:
        raise ValueError(f"{value!r}: an SSM parameter path has no empty level ('//' or a trailing '/')")
    if any(set(part) == {"."} for part in parts):
        raise ValueError(f"{value!r}: an SSM parameter path has no '.' or '..' level")
    if parts[0].lower().startswith(("aws", "ssm")):
        raise ValueError(f"{value!r}: SSM reserves paths beginning with aws or ssm")
    if len(parts) > SSM_MAX_LEVELS:
        raise ValueError(f"{value!r}: SSM allows at most {SSM_MAX_LEVELS} levels (got {len(parts)})")
    return value


SsmPath = Annotated[
    str,
    StringConstraints(max_length=1011),
    named(r"^/[A-Za-z0-9_.\-/]+$", "SSM parameter path like /buildkite/agent-token"),
    AfterValidator(_ssm_path),
]
AmiId = Annotated[str, named(r"^ami-[0-9a-f]{8,17}$", "AMI id like ami-0123456789abcdef0")]
Cidr = Annotated[str, StringConstraints(min_length=1, max_length=43)]
GcpRegion = Annotated[str, named(r"^[a-z]+-[a-z]+[0-9]+$", "GCP region like us-central1")]
GcpZone = Annotated[str, named(r"^[a-z]+-[a-z]+[0-9]+-[a-z]$", "GCP zone like us-central1-a (a region is not a zone)")]
GcpMachineType = Annotated[str, named(r"^[a-z][a-z0-9]*-[a-z0-9-]+$", "GCE machine type like g2-standard-8")]
GcpAccelerator = Annotated[str, named(r"^nvidia-[a-z0-9-]+$", "GCE accelerator type like nvidia-l4")]
TpuType = Annotated[str, named(r"^v[0-9]+[a-z]*(litepod)?-[0-9]+$", "TPU accelerator type like v4-8 or v5litepod-1")]
Name = Annotated[str, named(r"^[a-z][a-z0-9-]{0,62}$", "lower-case name (letters, digits, '-')")]
Token = Annotated[str, named(r"^[a-z0-9][a-z0-9_-]*$", "lower-case token (letters, digits, '_', '-')")]
DeviceName = Annotated[str, named(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "device name")]
SoftwareVersion = Annotated[str, named(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "TPU software version")]
VpcId = Annotated[str, named(r"^vpc-[0-9a-f]{8,17}$", "VPC id like vpc-0123456789abcdef0")]
SubnetId = Annotated[str, named(r"^subnet-[0-9a-f]{8,17}$", "subnet id like subnet-0123456789abcdef0")]
_IP_ADDRESS = r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$"
# S3's general-purpose bucket naming rules beyond its characters and length.
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _s3_bucket(value: str) -> str:
    if ".." in value or ".-" in value or "-." in value:
        raise ValueError(f"{value!r}: an S3 bucket name has no '..', '.-' or '-.'")
    if re.match(_IP_ADDRESS, value):
        raise ValueError(f"{value!r}: an S3 bucket name is not shaped like an IP address")
    for prefix in _S3_RESERVED_PREFIXES:
        if value.startswith(prefix):
            raise ValueError(f"{value!r}: S3 reserves bucket names beginning with {prefix!r}")
    for suffix in _S3_RESERVED_SUFFIXES:
        if value.endswith(suffix):
            raise ValueError(f"{value!r}: S3 reserves bucket names ending in {suffix!r}")
    return value


def _gcs_bucket(value: str) -> str:
    if ".." in value or ".-" in value or "-." in value:
        raise ValueError(f"{value!r}: a GCS bucket name has no '..', '.-' or '-.'")
    if re.match(_IP_ADDRESS, value):
        raise ValueError(f"{value!r}: a GCS bucket name is not shaped like an IP address")
    if value.startswith("goog") or "google" in value or "g00gle" in value:
        raise ValueError(f"{value!r}: GCS refuses bucket names beginning with goog or holding google")
    return value


S3Bucket = Annotated[str, named(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "S3 bucket name"), AfterValidator(_s3_bucket)]
DynamoTable = Annotated[str, named(r"^[A-Za-z0-9_.-]{3,255}$", "DynamoDB table name")]
SecretName = Annotated[str, named(r"^[A-Za-z0-9/_+=.@-]{1,512}$", "Secrets Manager secret name")]
# ECR's own pattern: parts of lower-case letters and digits joined by one of . _ -, separated by /.
EcrRepository = Annotated[
    str,
    StringConstraints(min_length=2, max_length=256),
    named(r"^([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*$", "ECR repository name"),
]
GcsBucket = Annotated[
    str, named(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", "GCS bucket name"), AfterValidator(_gcs_bucket)
]
GcsLocation = Annotated[str, named(r"^[A-Za-z0-9-]+$", "GCS location like US")]
GcpProject = Annotated[str, named(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", "GCP project id")]
# GKE's Google Groups for RBAC: the umbrella group must have exactly this name, in the Workspace or Cloud Identity domain.
GkeSecurityGroup = Annotated[
    str,
    named(
        r"^gke-security-groups@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
        "Google Group gke-security-groups@<your domain> (GKE requires that name)",
    ),
]
GceImage = Annotated[
    str,
    named(
        r"^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$",
        "GCE image like debian-cloud/debian-12 (project/image or project/family)",
    ),
]
Partition = Annotated[str, named(r"^[1-9][0-9]{0,3}gb$", "GPU partition by memory like 18gb")]
EnvName = Annotated[str, named(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$", "environment variable name")]
EnvValue = Annotated[str, StringConstraints(max_length=4096)]
ContainerPath = Annotated[str, named(r"^/[A-Za-z0-9._/-]{0,254}$", "absolute path like /fsx/hf_cache")]
Volume = Annotated[
    str,
    named(
        r"^/[A-Za-z0-9._/-]{0,254}:/[A-Za-z0-9._/-]{0,254}$", "volume like /dev/shm:/dev/shm (host path:container path)"
    ),
]
# An image registry with an optional path: `public.ecr.aws/q9t5s3a7`, `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>`.
Registry = Annotated[
    str, named(r"^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9._-]+)*$", "image registry like public.ecr.aws/q9t5s3a7")
]
# Kubernetes object names (RFC 1123 subdomains) and label keys/values.
KubeName = Annotated[
    str, named(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", "Kubernetes name (lower-case letters, digits, '.', '-')")
]
LabelKey = Annotated[
    str,
    named(
        r"^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$",
        "Kubernetes label key like nvidia.com/gpu.product",
    ),
]
LabelValue = Annotated[str, named(r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$", "Kubernetes label value")]
Capability = Annotated[str, named(r"^[A-Z][A-Z_]{1,31}$", "Linux capability like IPC_LOCK")]
ParameterValue = Union[str, int, bool]

# Buildkite's own names: the organization, its clusters and pipelines, the repositories they build, signing keys.
# A Buildkite cluster's name: the provider's schema allows letters and digits only.
ClusterName = Annotated[str, named(r"^[A-Za-z0-9]{1,64}$", "Buildkite cluster name (letters and digits only)")]
OrgSlug = Annotated[str, named(r"^[a-z0-9][a-z0-9-]{0,99}$", "Buildkite organization slug")]
PipelineSlug = Annotated[
    str, named(r"^[a-z0-9][a-z0-9-]{0,99}$", "Buildkite pipeline slug (lower-case letters, digits, '-')")
]
# A repository a pipeline builds or the toolkit is cloned from: https or git@ URLs; a shell word, never code.
RepositoryUrl = Annotated[
    str,
    named(
        r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9._/-]+|git@[A-Za-z0-9.-]+:[A-Za-z0-9._/-]+)$",
        "repository URL like https://github.com/vllm-project/vllm.git",
    ),
]
GitRef = Annotated[str, named(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$", "git branch or tag")]
HexColor = Annotated[str, named(r"^#[0-9A-Fa-f]{6}$", "colour like #BADA55")]
KeyId = Annotated[str, named(r"^[A-Za-z0-9._-]{1,128}$", "JWKS key id (letters, digits, '.', '_', '-')")]
BranchFilter = Annotated[str, named(r"^[A-Za-z0-9 *!._/-]{1,500}$", "branch filter like 'main release/*'")]

# Upper bounds of what the clouds allow (or what a fleet of this toolkit could
# ever mean): checked before anything is built from the value.
MAX_AGENT_INSTANCES = 1000  # per Elastic CI Stack (its auto scaling group)
MAX_TPUS = 256  # per fleet: each becomes named resources
MAX_POOL_NODES = 1000  # GKE's limit of nodes per node pool and zone


class Strict(BaseModel):
    # Built on first use: the bootstrap validates one QueuesFile and needs no validator of its parts.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)
