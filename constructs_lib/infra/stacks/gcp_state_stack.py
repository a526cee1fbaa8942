"""GcpStateStack: the GCS bucket that holds the other GCP stacks' state (and its access log), with local state."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.gcp.access_log_bucket import AccessLogBucket
from constructs_lib.infra.gcp.state_bucket import StateBucket
from constructs_lib.infra.stacks.gcp_stack import GcpStack
from constructs_lib.infra.stacks.local_state import keep_local_state
from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import QueuesFile


class GcpStateStack(GcpStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id, model=model, remote_state=False)
        keep_local_state(self, id)
        state = self.gcp.state
        logs = AccessLogBucket(
            self, "access-logs", name=names.access_log_bucket_name(state.bucket), location=state.location
        )
        StateBucket(
            self,
            "state",
            name=state.bucket,
            location=state.location,
            log_bucket=logs.name,
            log_bucket_ready=[logs.delivery],
        )
