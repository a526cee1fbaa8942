"""ElasticCiQueue: one Elastic CI Stack, in the shared network, with its boot script and its events."""

from __future__ import annotations

from constructs_lib.infra.aws.elastic_ci_queue import ElasticCiQueue
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_the_stack_runs_in_the_shared_network_with_the_toolkits_boot_script():
    stack, _ = synth(
        lambda s: ElasticCiQueue(
            s,
            "q",
            queue_name="gpu_1_queue",
            stack_name="bk-gpu-1-queue",
            template_url="https://s3.amazonaws.com/buildkite-aws-stack/v6.71.1/aws-stack.yml",
            parameters={"BuildkiteQueue": "gpu_1_queue", "MaxSize": "4"},
            vpc_id="vpc-1",
            subnet_ids=["subnet-1", "subnet-2"],
            security_group_id="sg-1",
            token_kms_key_id="key-1",
            notification_arns=["arn:sns"],
            bootstrap_script_url="s3://boot/boot/block-container-metadata.sh",
            bootstrap_script_ready=[],
        )
    )
    (cfn,) = of_type(stack, "aws_cloudformation_stack")
    assert cfn["name"] == "bk-gpu-1-queue" and cfn["notification_arns"] == ["arn:sns"]
    parameters = cfn["parameters"]
    assert parameters["VpcId"] == "vpc-1" and parameters["SecurityGroupIds"] == "sg-1"
    assert parameters["BootstrapScriptUrl"] == "s3://boot/boot/block-container-metadata.sh"
    assert parameters["BuildkiteAgentTokenParameterStoreKMSKey"] == "key-1"
    assert parameters["BuildkiteQueue"] == "gpu_1_queue" and parameters["MaxSize"] == "4"
    assert "CAPABILITY_NAMED_IAM" in cfn["capabilities"]
