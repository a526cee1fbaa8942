"""GcpStack: what every GCP stack starts with."""

from __future__ import annotations

from cdktf import GcsBackend, TerraformStack
from constructs import Construct

from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues.model import QueuesFile

# Keys as Terraform writes them: cdktf snake-cases the keys of provider blocks.
LABELS = {"managed_by": "buildkite-ci-toolkit"}


class GcpStack(TerraformStack):
    """The google provider for the project of queues.yaml, and remote state in
    the GCS bucket of the gcp-state stack (which itself keeps local state)."""

    def __init__(self, scope: Construct, id: str, *, model: QueuesFile, remote_state: bool = True):
        super().__init__(scope, id)
        self.gcp = model.gcp_settings()
        google.GoogleProvider(self, "google", project=self.gcp.project, region=self.gcp.region, default_labels=LABELS)
        if remote_state:
            GcsBackend(self, bucket=self.gcp.state.bucket, prefix=id)
