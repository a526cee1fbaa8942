"""The one module that imports the prebuilt provider bindings.

Why it exists: each prebuilt binding's package `__init__` imports all of its
~2,200 resource modules, which costs 30-80 s and about 1 GB per process on a
small machine (hashicorp/terraform-cdk#3753), while the stacks use a few dozen
classes. Here each binding's package is registered in `sys.modules` as a bare
package object, without running its `__init__`, and only the resource
modules named in the tables below are imported, on first use.

The node side has the same problem: loading a binding's jsii assembly makes
the kernel require all of the package's JavaScript (~2 s and ~500 MB per
binding). So when `<package>._jsii` is imported here, the kernel is handed a
slim tarball instead of the binding's own: the same assembly cut down to the
submodules of the table below (and everything they refer to), built once per
binding version and table by `constructs_lib.infra.jsii.slim_assembly` and cached outside
the repository. Where a slim tarball cannot be built soundly, or the cache is
unusable, or the kernel refuses a cached one (which is then discarded), the
full one is loaded, with a one-line note on stderr. A test synthesizes the default
queues.yaml this way and eagerly and compares every file byte for byte.

Set CI_TOOLKIT_EAGER_PROVIDERS=1 to import the packages the usual way (for
benchmarks and the equivalence test); CI_TOOLKIT_SLIM_ASSEMBLIES=0 keeps the
lazy imports but loads the full assemblies. Moving to a maintained fork of the
bindings, or to locally generated ones, is a change of the package names in
this file.

Usage: `from constructs_lib.infra.jsii.providers import aws, google` then `aws.Vpc(...)`;
`generic_provider` / `generic_resource` for the providers without a prebuilt
binding (google-beta, buildkite).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import sys
import types
from typing import TYPE_CHECKING, Any

__all__ = [
    "AWS_CLASSES",
    "EAGER_ENV",
    "GENERIC_PROVIDERS",
    "GOOGLE_CLASSES",
    "SLIM_ENV",
    "TESTED_JSII",
    "aws",
    "generic_provider",
    "generic_resource",
    "google",
    "slim_off_reason",
]

EAGER_ENV = "CI_TOOLKIT_EAGER_PROVIDERS"
SLIM_ENV = "CI_TOOLKIT_SLIM_ASSEMBLIES"
# The slim path replaces jsii's `kernel.load` while `<package>._jsii` is
# imported: an internal of jsii, checked against this release only. Another
# jsii turns the slim path off (one note), so that a jsii that stopped
# calling it cannot turn it off silently or break a synth.
TESTED_JSII = "1.142.0"
_noted: set[str] = set()


def slim_off_reason() -> str | None:
    """Why the slim assemblies are not used in this process, or None when they are."""
    if os.environ.get(SLIM_ENV) == "0":
        return f"{SLIM_ENV}=0"
    import importlib.metadata

    try:
        installed = importlib.metadata.version("jsii")
    except importlib.metadata.PackageNotFoundError:
        return "jsii's version is unknown"
    if installed != TESTED_JSII:
        return f"jsii {installed} is installed; the slim assemblies were tested with jsii {TESTED_JSII} only"
    return None


# class name -> resource module, per binding. Add a line to use a new resource.
# Structs inside lists must be passed as these classes (a plain dict inside a
# list reaches jsii with Python's key names and is silently dropped).
AWS_CLASSES = {
    "AwsProvider": "provider",
    "CloudformationStack": "cloudformation_stack",
    "CloudwatchLogGroup": "cloudwatch_log_group",
    "DataAwsAvailabilityZones": "data_aws_availability_zones",
    "DataAwsAvailabilityZonesFilter": "data_aws_availability_zones",
    "DataAwsCallerIdentity": "data_aws_caller_identity",
    "DataAwsIamPolicyDocument": "data_aws_iam_policy_document",
    "DataAwsIamPolicyDocumentStatement": "data_aws_iam_policy_document",
    "DataAwsIamPolicyDocumentStatementCondition": "data_aws_iam_policy_document",
    "DataAwsIamPolicyDocumentStatementPrincipals": "data_aws_iam_policy_document",
    "DataAwsPartition": "data_aws_partition",
    "DefaultSecurityGroup": "default_security_group",
    "DynamodbTable": "dynamodb_table",
    "EcrLifecyclePolicy": "ecr_lifecycle_policy",
    "EcrPullThroughCacheRule": "ecr_pull_through_cache_rule",
    "EcrRepository": "ecr_repository",
    "EcrRepositoryEncryptionConfiguration": "ecr_repository",
    "EcrRepositoryImageScanningConfiguration": "ecr_repository",
    "DynamodbTableAttribute": "dynamodb_table",
    "FlowLog": "flow_log",
    "IamPolicy": "iam_policy",
    "IamRole": "iam_role",
    "IamRolePolicy": "iam_role_policy",
    "IamRolePolicyAttachment": "iam_role_policy_attachment",
    "InternetGateway": "internet_gateway",
    "KmsAlias": "kms_alias",
    "KmsKey": "kms_key",
    "KmsKeyPolicy": "kms_key_policy",
    "Route": "route",
    "RouteTable": "route_table",
    "RouteTableAssociation": "route_table_association",
    "S3Bucket": "s3_bucket",
    "S3BucketLifecycleConfiguration": "s3_bucket_lifecycle_configuration",
    "S3BucketLifecycleConfigurationRule": "s3_bucket_lifecycle_configuration",
    "S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload": "s3_bucket_lifecycle_configuration",
    "S3BucketLifecycleConfigurationRuleExpiration": "s3_bucket_lifecycle_configuration",
    "S3BucketLifecycleConfigurationRuleFilter": "s3_bucket_lifecycle_configuration",
    "S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration": "s3_bucket_lifecycle_configuration",
    "S3BucketLoggingA": "s3_bucket_logging",
    "S3BucketNotification": "s3_bucket_notification",
    "S3BucketPolicy": "s3_bucket_policy",
    "S3Object": "s3_object",
    "S3BucketPublicAccessBlock": "s3_bucket_public_access_block",
    "S3BucketServerSideEncryptionConfigurationA": "s3_bucket_server_side_encryption_configuration",
    "S3BucketServerSideEncryptionConfigurationRuleA": "s3_bucket_server_side_encryption_configuration",
    "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA": "s3_bucket_server_side_encryption_configuration",
    "S3BucketVersioningA": "s3_bucket_versioning",
    "SecretsmanagerSecret": "secretsmanager_secret",
    "SecurityGroup": "security_group",
    "SecurityGroupEgress": "security_group",
    "SecurityGroupIngress": "security_group",
    "EfsFileSystem": "efs_file_system",
    "EfsFileSystemLifecyclePolicy": "efs_file_system",
    "EfsMountTarget": "efs_mount_target",
    "SnsTopic": "sns_topic",
    "SsmParameter": "ssm_parameter",
    "Subnet": "subnet",
    "Vpc": "vpc",
}

GOOGLE_CLASSES: dict[str, str] = {
    "GoogleProvider": "provider",
    "ComputeDisk": "compute_disk",
    "ComputeDiskDiskEncryptionKey": "compute_disk",
    "ComputeFirewall": "compute_firewall",
    "ComputeFirewallDeny": "compute_firewall",
    "ComputeInstance": "compute_instance",
    "ComputeInstanceAttachedDisk": "compute_instance",
    "ComputeInstanceBootDisk": "compute_instance",
    "ComputeInstanceBootDiskInitializeParams": "compute_instance",
    "ComputeInstanceNetworkInterface": "compute_instance",
    "ComputeInstanceServiceAccount": "compute_instance",
    "ComputeInstanceShieldedInstanceConfig": "compute_instance",
    "ComputeNetwork": "compute_network",
    "ComputeRouter": "compute_router",
    "ComputeRouterNat": "compute_router_nat",
    "ComputeRouterNatLogConfig": "compute_router_nat",
    "ComputeSubnetwork": "compute_subnetwork",
    "ComputeSubnetworkLogConfig": "compute_subnetwork",
    "ComputeSubnetworkSecondaryIpRange": "compute_subnetwork",
    "ContainerCluster": "container_cluster",
    "ContainerClusterAuthenticatorGroupsConfig": "container_cluster",
    "ContainerClusterBinaryAuthorization": "container_cluster",
    "ContainerClusterMasterAuthorizedNetworksConfig": "container_cluster",
    "ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks": "container_cluster",
    "ContainerClusterNodeConfig": "container_cluster",
    "ContainerNodePool": "container_node_pool",
    "ContainerNodePoolNodeConfig": "container_node_pool",
    "ContainerNodePoolNodeConfigGuestAccelerator": "container_node_pool",
    "DataGoogleProject": "data_google_project",
    "KmsCryptoKey": "kms_crypto_key",
    "KmsCryptoKeyIamMember": "kms_crypto_key_iam_member",
    "KmsKeyRing": "kms_key_ring",
    "ProjectIamMember": "project_iam_member",
    "SecretManagerSecret": "secret_manager_secret",
    "SecretManagerSecretIamMember": "secret_manager_secret_iam_member",
    "ServiceAccount": "service_account",
    "StorageBucket": "storage_bucket",
    "StorageBucketIamMember": "storage_bucket_iam_member",
    "StorageBucketLifecycleRule": "storage_bucket",
    "StorageBucketLifecycleRuleAction": "storage_bucket",
    "StorageBucketLifecycleRuleCondition": "storage_bucket",
    "StorageBucketLogging": "storage_bucket",
    "TpuNode": "tpu_node",
}

# google-beta has no prebuilt binding here on purpose: the package adds ~370 MB
# for the one resource the toolkit needs from it (google_tpu_v2_vm). The
# generic cdktf escape hatches below write the same JSON; attribute names are
# checked against the google-beta documentation and pinned by a test.
GOOGLE_BETA_SOURCE = "hashicorp/google-beta"
GOOGLE_BETA_VERSION = "6.50.0"  # the hashicorp/google release of the prebuilt google binding


class _Binding:
    """Attribute access to a binding's classes, importing only what is used."""

    def __init__(self, package: str, classes: dict[str, str]):
        self._package = package
        self._classes = classes

    def _module(self, module: str) -> types.ModuleType:
        package = self._package
        if os.environ.get(EAGER_ENV) == "1":
            return importlib.import_module(f"{package}.{module}")
        if package not in sys.modules:
            spec = importlib.util.find_spec(package)
            if spec is None or spec.submodule_search_locations is None:
                raise ImportError(f"the provider binding {package} is not installed (run `make synth` to set up)")
            bare = types.ModuleType(package)
            bare.__path__ = list(spec.submodule_search_locations)
            bare.__spec__ = spec
            bare.__package__ = package
            bare.__file__ = spec.origin
            sys.modules[package] = bare
            reason = slim_off_reason()
            if reason is None:
                self._load_slim_assembly(pathlib.Path(spec.submodule_search_locations[0]))
            elif not reason.startswith(SLIM_ENV) and reason not in _noted:
                _noted.add(reason)
                print(f"note: loading the full provider assemblies: {reason}", file=sys.stderr)
        return importlib.import_module(f"{package}.{module}")

    def _load_slim_assembly(self, package_dir: pathlib.Path) -> None:
        """Import `<package>._jsii` with the kernel loading a slim tarball of its assembly."""
        import jsii

        from constructs_lib.infra.jsii import slim_assembly

        own = (package_dir / "_jsii").resolve()
        full_load = jsii.kernel.load

        def load(name: str, version: str, tarball: str) -> None:
            if pathlib.Path(tarball).resolve().parent != own:
                return full_load(name, version, tarball)
            slim = None
            try:
                namespaces = slim_assembly.namespaces_of(package_dir, name, set(self._classes.values()))
                slim = slim_assembly.slim_tarball(tarball, name, version, namespaces)
                return full_load(name, version, str(slim))
            except Exception as err:  # a cache in a bad state must never break a synth
                reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
                print(f"note: loading the full {name} assembly: {reason}", file=sys.stderr)
                if slim is not None:
                    slim_assembly.discard(slim)  # the kernel refused it: the next run builds it again
            return full_load(name, version, tarball)

        shadowed = vars(jsii.kernel).get("load")
        jsii.kernel.load = load  # type: ignore[method-assign]  # only for this import: JSIIAssembly.load calls the kernel object
        try:
            importlib.import_module(f"{self._package}._jsii")
        finally:
            if shadowed is None:
                del jsii.kernel.load
            else:
                jsii.kernel.load = shadowed  # type: ignore[method-assign]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        module = self._classes.get(name)
        if module is None:
            raise AttributeError(
                f"{name} is not in the {self._package} table of constructs_lib/infra/jsii/providers.py; add it there"
            )
        value = getattr(self._module(module), name)
        setattr(self, name, value)
        return value


if TYPE_CHECKING:
    # mypy sees the bindings' own typed classes (stubs generated from the tables above by
    # scripts/make_provider_stubs.py); at run time the loaders below hand out the same classes.
    from constructs_lib.infra.jsii import _aws_classes as aws
    from constructs_lib.infra.jsii import _google_classes as google
else:
    aws = _Binding("cdktf_cdktf_provider_aws", AWS_CLASSES)
    google = _Binding("cdktf_cdktf_provider_google", GOOGLE_CLASSES)


# Providers without a prebuilt binding for cdktf 0.21, written through cdktf's generic classes:
# name -> (source, pinned version). Attribute names come from each provider's documentation of that version.
GENERIC_PROVIDERS = {
    "google-beta": (GOOGLE_BETA_SOURCE, GOOGLE_BETA_VERSION),
    "buildkite": ("buildkite/buildkite", "1.38.0"),
}


def _metadata(name: str) -> Any:
    from cdktf import TerraformProviderGeneratorMetadata

    return TerraformProviderGeneratorMetadata(
        provider_name=name, provider_version_constraint=GENERIC_PROVIDERS[name][1]
    )


def generic_provider(scope: Any, id: str, *, name: str, **settings: Any) -> Any:
    """A provider block of GENERIC_PROVIDERS (`project`, `organization`, ... as Terraform names them)."""
    from cdktf import TerraformProvider

    provider = TerraformProvider(
        scope,
        id,
        terraform_resource_type=name,
        terraform_generator_metadata=_metadata(name),
        terraform_provider_source=GENERIC_PROVIDERS[name][0],
    )
    for key, value in settings.items():
        provider.add_override(key, value)
    return provider


def generic_resource(
    scope: Any,
    id: str,
    *,
    resource_type: str,
    provider: Any,
    attributes: dict[str, Any],
    depends_on: list[Any] | None = None,
    data: bool = False,
) -> Any:
    """A resource (or, with `data`, a data source) of a GENERIC_PROVIDERS provider; `attributes` use Terraform's names."""
    from cdktf import TerraformDataSource, TerraformResource

    kind = TerraformDataSource if data else TerraformResource
    name = provider.terraform_resource_type
    resource = kind(
        scope,
        id,
        terraform_resource_type=resource_type,
        terraform_generator_metadata=_metadata(name),
        provider=provider,
        depends_on=depends_on,
    )
    for key, value in attributes.items():
        resource.add_override(key, value)
    return resource
