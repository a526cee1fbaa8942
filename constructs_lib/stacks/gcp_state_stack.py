"""GcpStateStack: the GCS bucket that holds the other GCP stacks' state, with local state."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.gcp.state_bucket import StateBucket
from constructs_lib.model import QueuesFile
from constructs_lib.stacks.gcp_stack import GcpStack

STACK_ID = "gcp-state"


class GcpStateStack(GcpStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id, model=model, remote_state=False)
        StateBucket(self, "state", name=self.gcp.state.bucket, location=self.gcp.state.location)
