"""ElasticCiQueue: one Buildkite Elastic CI Stack serving one queue."""

from __future__ import annotations

from cdktf import Fn
from constructs import Construct

from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues.model import AwsQueue, QueuesFile
from constructs_lib.infra.jsii.providers import aws

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The AWS console's Application Manager tags stacks after the fact; ignoring the
# tag keeps every plan from trying to remove it (as the reference does).
IGNORED_TAGS = ['tags["AppManagerCFNStackKey"]', 'tags_all["AppManagerCFNStackKey"]']


class ElasticCiQueue(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: QueuesFile,
        queue_name: str,
        queue: AwsQueue,
        vpc_id: str,
        subnet_ids: list[str],
        security_group_id: str,
        token_kms_key_id: str,
        notification_arns: list[str],
    ):
        super().__init__(scope, id)
        parameters = ecp.parameters(model, queue_name, queue)
        parameters.update(
            {
                "VpcId": vpc_id,
                "Subnets": Fn.join(",", subnet_ids),
                "SecurityGroupIds": security_group_id,
                # The token parameter is encrypted with this key; the stack grants its instances decrypt.
                "BuildkiteAgentTokenParameterStoreKMSKey": token_kms_key_id,
            }
        )
        self.stack = aws.CloudformationStack(
            self,
            "stack",
            name=ecp.stack_name(queue_name),
            template_url=ecp.template_url(ecp.version(model, queue)),
            capabilities=CAPABILITIES,
            notification_arns=notification_arns,
            parameters=dict(sorted(parameters.items())),
            lifecycle={"ignore_changes": IGNORED_TAGS},
            tags={"BuildkiteQueue": queue_name},
        )

    @property
    def instance_role_name(self) -> str:
        return Fn.lookup(self.stack.outputs, "InstanceRoleName")
