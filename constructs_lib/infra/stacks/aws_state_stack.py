"""AwsStateStack: the remote-state bucket and lock table, with local state."""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from constructs_lib.infra.aws.state_backend import StateBackend
from constructs_lib.infra.jsii.providers import aws
from constructs_lib.infra.stacks.local_state import keep_local_state
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.model import QueuesFile


class AwsStateStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id)
        keep_local_state(self, id)
        state = model.aws_settings().state
        aws.AwsProvider(self, "aws", region=ecp.state_region(model))
        StateBackend(self, "state", bucket=state.bucket, lock_table=state.lock_table)
