"""StackEvents: the SNS topic the Elastic CI Stacks of a region report their events to.

CloudFormation sends every stack event (create, update, rollback, delete) of
each queue's stack here; operators subscribe their alerting to it (the
stack's `stack-events-topic` output) to learn of a failed stack update
without watching the console. Encrypted with the region's key.
"""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.jsii.providers import aws


def topic_name(name: str) -> str:
    return f"{name}-stack-events"


class StackEvents(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str, kms_key_arn: str):
        super().__init__(scope, id)
        self.topic = aws.SnsTopic(self, "topic", name=topic_name(name), kms_master_key_id=kms_key_arn)

    @property
    def arn(self) -> str:
        return self.topic.arn
