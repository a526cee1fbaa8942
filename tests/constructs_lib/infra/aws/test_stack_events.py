"""StackEvents: the topic the Elastic CI Stacks report their events to, encrypted with the region's key."""

from __future__ import annotations

from constructs_lib.infra.aws.stack_events import StackEvents, topic_name
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_topic_is_encrypted_and_named_after_the_region():
    stack, events = synth(lambda s: StackEvents(s, "e", name="buildkite-us-west-2", kms_key_arn="arn:kms"))
    (topic,) = of_type(stack, "aws_sns_topic")
    assert topic == {"kms_master_key_id": "arn:kms", "name": topic_name("buildkite-us-west-2")}
    assert topic["name"] == "buildkite-us-west-2-stack-events"
