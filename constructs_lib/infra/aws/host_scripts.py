"""HostScripts: the boot scripts the Elastic CI Stack's instances fetch (their BootstrapScriptUrl).

Every AWS queue's instances run constructs_lib/infra/host/block-container-metadata.sh
at boot, so that containers reach no instance metadata service on the stack's
own AMI too (the toolkit's AMIs carry the same rule; running it twice is
harmless), then agent-no-local-hooks.sh, so that the agent runs no hooks of
the checked-out repository. A queue whose hosts mount the shared model cache boots a script
of its own: the same rule, then constructs_lib/infra/host/mount-model-cache.sh
with the file system it mounts and where. The scripts are objects of a
private bucket of the region under `boot/`. The instances fetch them while
they boot, which can be before their role's policy exists (the policy names
the role the stack creates), so the bucket's own policy grants the read: to
the instance roles of the region's queues, by name, and to nothing else. The
scripts hold no secret; the bucket uses S3-managed keys so that no key policy
has to name roles that do not exist yet.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from constructs import Construct

from constructs_lib.infra.aws.private_bucket import PrivateBucket
from constructs_lib.infra.host import MOUNT_MODEL_CACHE, elastic_boot_script, for_terraform
from constructs_lib.infra.jsii.providers import aws

PREFIX = "boot/"
BLOCK_KEY = f"{PREFIX}block-container-metadata.sh"  # the name it had before it also turned local hooks off


@dataclasses.dataclass(frozen=True)
class ModelCacheMount:
    file_system_id: str  # a Terraform reference
    region: str
    path: str


def mount_script(mount: ModelCacheMount) -> str:
    """The metadata rule, then the model cache's mount, as one boot script (a Terraform string)."""
    return (
        elastic_boot_script()
        + f"\nexport MODEL_CACHE_FS='{mount.file_system_id}' MODEL_CACHE_REGION='{mount.region}' MODEL_CACHE_PATH='{mount.path}'\n"
        + for_terraform(MOUNT_MODEL_CACHE.read_text(encoding="utf-8"))
    )


class HostScripts(Construct):
    def __init__(
        self, scope: Construct, id: str, *, bucket: str, role_names: list[str], account_id: str, partition: str
    ):
        super().__init__(scope, id)
        self.bucket_name = bucket
        self.bucket = PrivateBucket(self, "bucket", bucket=bucket, encryption="s3", noncurrent_days=30)
        roles = [f"arn:{partition}:iam::{account_id}:role/{name}" for name in sorted(role_names)]
        document = aws.DataAwsIamPolicyDocument(
            self,
            "read",
            statement=[
                aws.DataAwsIamPolicyDocumentStatement(
                    sid="InstancesReadTheBootScripts",
                    effect="Allow",
                    principals=[aws.DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                    actions=["s3:GetObject"],
                    resources=[f"arn:{partition}:s3:::{bucket}/{PREFIX}*"],
                    condition=[
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="aws:PrincipalAccount", values=[account_id]
                        ),
                        aws.DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnEquals", variable="aws:PrincipalArn", values=roles
                        ),
                    ],
                )
            ],
        )
        self.policy = aws.S3BucketPolicy(self, "policy", bucket=self.bucket.bucket.id, policy=document.json)
        # What an instance needs before it boots: the objects and the right to read them.
        self.ready: list[Any] = [self.policy]
        self.url = self._add("block-container-metadata", BLOCK_KEY, elastic_boot_script())

    def for_queue(self, queue_name: str, mount: ModelCacheMount | None) -> str:
        """The boot script's URL for one queue: the shared one, or one that also mounts the model cache."""
        if mount is None:
            return self.url
        node = re.sub(r"[^A-Za-z0-9-]", "-", queue_name)
        return self._add(f"queue-{node}", f"{PREFIX}{node}.sh", mount_script(mount))

    def _add(self, id: str, key: str, content: str) -> str:
        script = aws.S3Object(
            self, id, bucket=self.bucket.bucket.id, key=key, content=content, content_type="text/x-shellscript"
        )
        self.ready.append(script)
        return f"s3://{self.bucket_name}/{key}"
