"""The AWS stacks of the 2024 fleet (examples/queues-vllm-2024.yaml): snapshot, plus assertions a refreshed snapshot cannot hide.

The default queues.yaml (today's fleet, two regions) has test_default_fleet_stacks.py.
"""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources, synth_stacks
from tests.constructs_lib.queues.minimal_queues import MINIMAL

DEFAULT_AWS_QUEUES = ["bootstrap", "small_cpu_queue", "cpu_queue", "cpu_queue_untrusted", "gpu_1_queue", "gpu_4_queue"]


@pytest.fixture(scope="module")
def default_stacks(tmp_path_factory):
    return synth_stacks((REPO / "examples" / "queues-vllm-2024.yaml").read_text(), tmp_path_factory.mktemp("synth"))


def cfn_by_queue(stack: dict) -> dict[str, dict]:
    return {r["parameters"]["BuildkiteQueue"]: r for r in resources(stack, "aws_cloudformation_stack").values()}


def policy_statements(stack: dict) -> dict[str, dict[str, dict]]:
    """Statements by sid, by policy name, following policy -> document."""
    documents = data_sources(stack, "aws_iam_policy_document")
    out = {}
    for policy in resources(stack, "aws_iam_policy").values():
        doc_id = policy["policy"].split(".")[2]
        out[policy["name"]] = {s["sid"]: s for s in documents[doc_id]["statement"]}
    return out


def test_snapshot(default_stacks, snapshot):
    aws_stacks = {k: v for k, v in default_stacks.items() if k.startswith("aws-")}
    assert aws_stacks == snapshot


def test_one_elastic_ci_stack_per_aws_queue(default_stacks):
    stack = default_stacks["aws-us-west-2"]
    stacks = cfn_by_queue(stack)
    assert sorted(stacks) == sorted(DEFAULT_AWS_QUEUES)
    assert {s["name"] for s in stacks.values()} == {f"bk-{q.replace('_', '-')}" for q in DEFAULT_AWS_QUEUES}
    for cfn in stacks.values():
        assert cfn["template_url"] == "https://s3.amazonaws.com/buildkite-aws-stack/v6.71.1/aws-stack.yml"
        assert cfn["capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
        assert 'tags["AppManagerCFNStackKey"]' in cfn["lifecycle"]["ignore_changes"]
        assert all(isinstance(v, str) for v in cfn["parameters"].values())


def test_parameters_of_the_reference_fleet(default_stacks):
    stacks = cfn_by_queue(default_stacks["aws-us-west-2"])
    gpu1 = stacks["gpu_1_queue"]["parameters"]
    assert gpu1["InstanceTypes"] == "g6.4xlarge"
    assert (gpu1["MinSize"], gpu1["MaxSize"]) == ("0", "40")
    assert stacks["gpu_4_queue"]["parameters"]["InstanceTypes"] == "g6.12xlarge"
    assert stacks["cpu_queue"]["parameters"]["InstanceTypes"] == "r6in.16xlarge"
    assert stacks["small_cpu_queue"]["parameters"]["InstanceTypes"] == "r6in.large"
    for name, cfn in stacks.items():
        p = cfn["parameters"]
        assert p["BuildkiteAgentTokenParameterStorePath"] == "/buildkite/agent-token", name
        assert "BuildkiteAgentToken" not in p, name
        assert p["IMDSv2Tokens"] == "required", name
        assert p["RootVolumeEncrypted"] == "true", name
        assert p["EnableDockerUserNamespaceRemap"] == "false", name
        assert p["BuildkiteTerminateInstanceAfterJob"] == "true", name
        assert p["EnableECRPlugin"] == "true", name
        assert p["RootVolumeSize"] == "512", name
        assert p["VpcId"].startswith("${aws_vpc."), name
        assert p["SecurityGroupIds"].startswith("${aws_security_group."), name


def test_least_privilege_policies(default_stacks):
    stack = default_stacks["aws-us-west-2"]
    policies = policy_statements(stack)
    assert sorted(policies) == sorted(f"bk-{q.replace('_', '-')}-ci-access" for q in DEFAULT_AWS_QUEUES)
    for name, statements in policies.items():
        assert "EcrPublicLogin" in statements, name  # ECR Public: an authenticated pull
        assert "ReadBuildCache" in statements, name
    builders = {n for n, s in policies.items() if "PushCiImages" in s}
    cache_writers = {n for n, s in policies.items() if "WriteBuildCache" in s}
    hf_readers = {n for n, s in policies.items() if "ReadHfToken" in s}
    assert builders == cache_writers == {"bk-cpu-queue-ci-access", "bk-cpu-queue-untrusted-ci-access"}
    # Each builder pushes to the repository and cache prefix of its own builds only.
    cpu, forks = policies["bk-cpu-queue-ci-access"], policies["bk-cpu-queue-untrusted-ci-access"]
    assert [r.rsplit("/", 1)[1] for r in cpu["PushCiImages"]["resources"]] == [
        "vllm-ci-test-repo",
        "vllm-ci-postmerge-repo",
    ]
    assert [r.rsplit("/", 1)[1] for r in forks["PushCiImages"]["resources"]] == ["vllm-ci-untrusted-repo"]
    assert forks["WriteBuildCache"]["resources"] == [
        "arn:${data.aws_partition.partition.partition}:s3:::vllm-ci-build-cache/untrusted/*"
    ]
    assert not any("untrusted" in r for r in cpu["ReadBuildCache"]["resources"] + cpu["WriteBuildCache"]["resources"])
    assert hf_readers == {"bk-cpu-queue-ci-access", "bk-gpu-1-queue-ci-access", "bk-gpu-4-queue-ci-access"}
    for statements in policies.values():
        for sid, statement in statements.items():
            if sid not in ("EcrLogin", "EcrPublicLogin"):  # the login calls have no resource-level permissions
                assert "*" not in statement["resources"], sid
    # Each policy is attached to its own stack's instance role output.
    attachments = resources(stack, "aws_iam_role_policy_attachment").values()
    roles = sorted(a["role"] for a in attachments)
    assert len(roles) == len(DEFAULT_AWS_QUEUES)
    assert all(r.endswith(".outputs.InstanceRoleName}") for r in roles)
    assert len(set(roles)) == len(roles)


def test_tokens_are_referenced_by_path_only(default_stacks):
    stack = default_stacks["aws-us-west-2"]
    (parameter,) = resources(stack, "aws_ssm_parameter").values()
    assert parameter["name"] == "/buildkite/agent-token"
    assert parameter["type"] == "SecureString"
    # Written once, write-only: neither it nor the operator's token is ever in the state.
    assert (parameter["value_wo"], parameter["value_wo_version"]) == ("set-by-operator", 1)
    assert "value" not in parameter
    (secret,) = resources(stack, "aws_secretsmanager_secret").values()
    assert secret["name"] == "ci/hf-token"
    assert not resources(stack, "aws_secretsmanager_secret_version")


def test_network_spreads_subnets_over_zones(default_stacks):
    stack = default_stacks["aws-us-west-2"]
    subnets = resources(stack, "aws_subnet").values()
    assert sorted(s["cidr_block"] for s in subnets) == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert len({s["availability_zone"] for s in subnets}) == 3
    (group,) = resources(stack, "aws_security_group").values()
    assert "ingress" not in group or not group["ingress"]


def test_remote_state(default_stacks):
    backend = default_stacks["aws-us-west-2"]["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": "vllm-ci-terraform-state",
        "dynamodb_table": "vllm-ci-terraform-locks",
        "key": "aws-us-west-2/terraform.tfstate",
        "region": "us-west-2",
    }
    state = default_stacks["aws-state"]
    # Local: it creates the bucket the others use. The path is relative to the stack's folder (where
    # terraform runs), so the bytes do not depend on the synth's folder and the state outlives a re-synth.
    assert state["terraform"]["backend"] == {"local": {"path": "../../../terraform.aws-state.tfstate"}}
    buckets = {b["bucket"]: (uid, b) for uid, b in resources(state, "aws_s3_bucket").items()}
    assert sorted(buckets) == ["vllm-ci-terraform-state", "vllm-ci-terraform-state-access-logs"]
    uid, bucket = buckets["vllm-ci-terraform-state"]
    assert bucket["lifecycle"]["prevent_destroy"] is True
    ref = f"${{aws_s3_bucket.{uid}.id}}"
    (versioning,) = [v for v in resources(state, "aws_s3_bucket_versioning").values() if v["bucket"] == ref]
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    (block,) = [b for b in resources(state, "aws_s3_bucket_public_access_block").values() if b["bucket"] == ref]
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    (encryption,) = [
        e for e in resources(state, "aws_s3_bucket_server_side_encryption_configuration").values() if e["bucket"] == ref
    ]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    (table,) = resources(state, "aws_dynamodb_table").values()
    assert (table["name"], table["hash_key"]) == ("vllm-ci-terraform-locks", "LockID")


def test_stack_version_v6_21_0_and_explicit_overrides(tmp_path):
    text = MINIMAL.replace("stack_version: v6.71.1", "stack_version: v6.21.0").replace(
        "      max_size: 4\n",
        "      max_size: 4\n      imdsv2_required: false\n      parameters:\n        AgentsPerInstance: 2\n        EnableECRPlugin: false\n",
    )
    stacks = cfn_by_queue(synth_stacks(text, tmp_path)["aws-us-west-2"])
    cpu = stacks["cpu_queue"]
    assert cpu["template_url"].endswith("/v6.21.0/aws-stack.yml")
    assert cpu["parameters"]["AgentsPerInstance"] == "2"
    assert cpu["parameters"]["EnableECRPlugin"] == "false"  # booleans as the template expects
    assert cpu["parameters"]["IMDSv2Tokens"] == "optional"
    assert stacks["gpu_4_queue"]["parameters"]["IMDSv2Tokens"] == "required"


def test_several_regions_and_token_paths(tmp_path):
    text = MINIMAL.replace(
        "      vpc_cidr: 10.0.0.0/16\n",
        "      vpc_cidr: 10.0.0.0/16\n    eu-west-1:\n      existing_vpc:\n        vpc_id: vpc-0123456789abcdef0\n"
        "        subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]\n",
    ).replace(
        "      min_size: 1\n",
        "      min_size: 1\n      region: eu-west-1\n      agent_token_path: /buildkite/postmerge/agent-token\n",
    )
    stacks = synth_stacks(text, tmp_path)
    assert sorted(stacks) == ["aws-eu-west-1", "aws-state", "aws-us-west-2"]
    eu = stacks["aws-eu-west-1"]
    assert eu["provider"]["aws"][0]["region"] == "eu-west-1"
    assert list(cfn_by_queue(eu)) == ["gpu_4_queue"]
    assert list(cfn_by_queue(stacks["aws-us-west-2"])) == ["cpu_queue"]
    (param,) = resources(eu, "aws_ssm_parameter").values()
    assert param["name"] == "/buildkite/postmerge/agent-token"
    assert not resources(eu, "aws_vpc")  # an existing VPC is used as it is
    cfn = cfn_by_queue(eu)["gpu_4_queue"]["parameters"]
    assert cfn["VpcId"] == "vpc-0123456789abcdef0"
    assert cfn["BuildkiteAgentTokenParameterStorePath"] == "/buildkite/postmerge/agent-token"


def test_every_instance_runs_the_boot_script_that_blocks_the_metadata_service(default_stacks):
    stack = default_stacks["aws-us-west-2"]
    (script,) = resources(stack, "aws_s3_object").values()
    (bucket,) = [b for b in resources(stack, "aws_s3_bucket").values() if b["bucket"].endswith("-boot-us-west-2")]
    assert "DOCKER-USER -d 169.254.169.254/32 -j REJECT" in script["content"]
    for name, cfn in cfn_by_queue(stack).items():
        assert cfn["parameters"]["BootstrapScriptUrl"] == f"s3://{bucket['bucket']}/{script['key']}", name
        assert any(d.startswith("aws_s3_object.") for d in cfn["depends_on"]), name
        assert any(d.startswith("aws_s3_bucket_policy.") for d in cfn["depends_on"]), name
