"""DiskEncryption: a customer-managed Cloud KMS key per region for the agents' disks.

Compute Engine disks (the TPUs' data disks, the agent hosts' boot disks)
are encrypted with a Cloud KMS key the project owns (CMEK), never with a
customer-supplied raw key, which Terraform would keep in its state. A disk
can only use a key of its own region, so each region with a TPU fleet gets a
key ring and a key, rotated every 90 days and protected from `terraform
destroy` (a destroyed key makes every disk it encrypted unreadable).

Compute Engine uses the key through its service agent,
service-<project number>@compute-system.iam.gserviceaccount.com, which holds
roles/cloudkms.cryptoKeyEncrypterDecrypter on each key and nothing else here;
a disk must be created after that grant (`RegionKey.grant`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from constructs import Construct

from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues import gcp_names as names

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
ROTATION_PERIOD = f"{90 * 24 * 3600}s"  # 90 days


@dataclasses.dataclass(frozen=True)
class RegionKey:
    """What a disk of one region needs: the key's id (its self link) and the grant to wait for."""

    key_id: str
    grant: Any


class DiskEncryption(Construct):
    def __init__(
        self, scope: Construct, id: str, *, project: str, network: str, regions: list[str], labels: dict[str, str]
    ):
        super().__init__(scope, id)
        self.project = google.DataGoogleProject(self, "project", project_id=project)
        self.service_agent = f"serviceAccount:service-{self.project.number}@compute-system.iam.gserviceaccount.com"
        self.keys: dict[str, RegionKey] = {}
        for region in sorted(regions):
            ring = google.KmsKeyRing(
                self, f"{region}-ring", name=names.key_ring_name(network, region), location=region, project=project
            )
            key = google.KmsCryptoKey(
                self,
                f"{region}-key",
                name=names.DISK_KEY,
                key_ring=ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=ROTATION_PERIOD,
                labels=labels,
                lifecycle={"prevent_destroy": True},
            )
            grant = google.KmsCryptoKeyIamMember(
                self,
                f"{region}-compute-agent",
                crypto_key_id=key.id,
                role=ENCRYPTER_DECRYPTER,
                member=self.service_agent,
            )
            self.keys[region] = RegionKey(key_id=key.id, grant=grant)
