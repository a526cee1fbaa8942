"""ElasticCiQueue: one Buildkite Elastic CI Stack serving one queue."""

from __future__ import annotations

from typing import Any, Sequence

from cdktf import Fn
from constructs import Construct

from constructs_lib.infra.jsii.providers import aws

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The AWS console's Application Manager tags stacks after the fact; ignoring the
# tag keeps every plan from trying to remove it (as the reference does).
IGNORED_TAGS = ['tags["AppManagerCFNStackKey"]', 'tags_all["AppManagerCFNStackKey"]']


class ElasticCiQueue(Construct):
    """One CloudFormation stack of the Elastic CI Stack template.

    Takes what the stack needs, resolved: its name, the template of the pinned
    version and the parameters the queue model decided
    (`queues/hostings/aws/parameters.py`); it adds the network and the key.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        queue_name: str,
        stack_name: str,
        template_url: str,
        parameters: dict[str, str],
        vpc_id: str,
        subnet_ids: list[str],
        security_group_id: str,
        token_kms_key_id: str,
        notification_arns: list[str],
        bootstrap_script_url: str,
        bootstrap_script_ready: Sequence[Any] = (),
    ):
        super().__init__(scope, id)
        parameters = dict(parameters)
        parameters.update(
            {
                "VpcId": vpc_id,
                "Subnets": Fn.join(",", subnet_ids),
                "SecurityGroupIds": security_group_id,
                # The token parameter is encrypted with this key; the stack grants its instances decrypt.
                "BuildkiteAgentTokenParameterStoreKMSKey": token_kms_key_id,
                # Run by every instance at boot (HostScripts): containers reach no metadata service.
                "BootstrapScriptUrl": bootstrap_script_url,
            }
        )
        self.stack = aws.CloudformationStack(
            self,
            "stack",
            name=stack_name,
            template_url=template_url,
            capabilities=CAPABILITIES,
            notification_arns=notification_arns,
            parameters=dict(sorted(parameters.items())),
            lifecycle={"ignore_changes": IGNORED_TAGS},
            tags={"BuildkiteQueue": queue_name},
            depends_on=list(bootstrap_script_ready) or None,
        )

    @property
    def instance_role_name(self) -> str:
        return str(Fn.lookup(self.stack.outputs, "InstanceRoleName"))
