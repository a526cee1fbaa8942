"""ModelCacheFileSystem: the shared model cache of one region, an EFS file system.

One mount target in each of the agents' subnets, reachable on NFS (2049)
from the agents' security group only, encrypted at rest with the region's
key. Files nobody read for 30 days move to EFS's Infrequent Access class
and back on their next read. No automatic backups (the API's default for a
file system it creates): it is a cache, filled again by the jobs that miss it. Which hosts mount it, and where, is
constructs_lib.queues.model_cache's answer; HostScripts mounts it at boot.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

NFS_PORT = 2049


class ModelCacheFileSystem(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        vpc_id: str,
        subnet_ids: list[str],
        agents_security_group_id: str,
        kms_key_arn: str,
        throughput: str,
    ):
        super().__init__(scope, id)
        group = aws.SecurityGroup(
            self,
            "nfs",
            name=f"{name}-model-cache",
            description="The shared model cache: NFS from the Buildkite agents only",
            vpc_id=vpc_id,
            ingress=[
                aws.SecurityGroupIngress(
                    description="NFS from the Buildkite agents",
                    from_port=NFS_PORT,
                    to_port=NFS_PORT,
                    protocol="tcp",
                    security_groups=[agents_security_group_id],
                )
            ],
            tags={"Name": f"{name}-model-cache"},
        )
        self.file_system = aws.EfsFileSystem(
            self,
            "fs",
            encrypted=True,
            kms_key_id=kms_key_arn,
            throughput_mode=throughput,
            lifecycle_policy=[
                aws.EfsFileSystemLifecyclePolicy(transition_to_ia="AFTER_30_DAYS"),
                aws.EfsFileSystemLifecyclePolicy(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={"Name": f"{name}-model-cache"},
        )
        self.mount_targets = [
            aws.EfsMountTarget(
                self, f"target-{i}", file_system_id=self.file_system.id, subnet_id=subnet, security_groups=[group.id]
            )
            for i, subnet in enumerate(subnet_ids)
        ]
        self.id: str = self.file_system.id
