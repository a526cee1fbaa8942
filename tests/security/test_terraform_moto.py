"""The synthesized AWS stacks through the real terraform, against a local AWS API (moto).

Copies of the default synth's AWS stacks get a test-only override file that
points the aws provider at a moto server on 127.0.0.1 (static fake
credentials, no account or metadata look-ups) and replaces the S3 backend
with a local one. `terraform init` installs the provider from the local
mirror only. Then the state stack is applied whole; the region stack is
planned whole and applied without its Elastic CI Stacks (moto cannot run
their template) and the role attachments that wait on their outputs. Every
other process the test starts is sent through a proxy on a closed loopback
port, so anything that tried to leave the machine would fail.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pathlib
import socket
import urllib.parse

import pytest

from constructs_lib.queues.loader import load_queues
from tests.conftest import PLANTED_SECRETS, REPO
from tests.security.moto_server import is_up, moto_server
from tests.terraform_tools import prepare, require_terraform, tail, terraform

REGION = "us-west-2"
SERVICES = [
    "cloudformation",
    "dynamodb",
    "ec2",
    "efs",
    "iam",
    "kms",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "ssm",
    "sts",
]
# Left out of apply: moto cannot run the Elastic CI Stack template, and the attachments need its outputs.
# Planned but not applied: moto has no CloudFormation of the stack template, no ECR pull-through cache rules.
NOT_APPLIED = {"aws_cloudformation_stack", "aws_iam_role_policy_attachment", "aws_ecr_pull_through_cache_rule"}
DEAD_PROXY = "http://127.0.0.1:9"
FAKE_KEYS = {"access_key": "testing", "secret_key": "testing"}  # moto accepts any


def override(endpoint: str) -> dict:
    """The test-only override: the provider talks to moto, the state stays in the work folder."""
    return {
        "provider": {
            "aws": {
                **FAKE_KEYS,
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "s3_use_path_style": True,
                "endpoints": [{service: endpoint for service in SERVICES}],
            }
        },
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}},
    }


def offline(env: dict, cache: pathlib.Path) -> dict:
    env = {
        k: v
        for k, v in env.items()
        if not k.startswith("AWS_") and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
    }
    env.update(
        {
            "HTTP_PROXY": DEAD_PROXY,
            "HTTPS_PROXY": DEAD_PROXY,
            "http_proxy": DEAD_PROXY,
            "https_proxy": DEAD_PROXY,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TF_PLUGIN_CACHE_DIR": str(cache),
        }
    )
    return env


class Stack:
    def __init__(
        self, name: str, source: pathlib.Path, base: pathlib.Path, endpoint: str, binary: str, mirror: str, version: str
    ):
        self.name, self.dir, self.binary = name, base / name, binary
        self.env = offline(prepare(source, self.dir, version, mirror), base / "plugin-cache")
        (self.dir / "override.tf.json").write_text(json.dumps(override(endpoint), indent=1))
        self.config = json.loads(source.read_text())

    def run(self, *args: str):
        return terraform(self.binary, self.dir, self.env, *args, "-no-color", timeout=900)

    def addresses(self, skip: set[str] = frozenset()) -> list[str]:
        return sorted(
            f"{kind}.{name}" for kind, blocks in self.config["resource"].items() if kind not in skip for name in blocks
        )


def ok(result) -> str:
    assert result.returncode == 0, tail(result.stdout + result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def emulated(default_synth, tmp_path_factory):
    """Both AWS stacks initialized, planned and applied against a moto server; yields what each step gave."""
    binary, mirror, version = require_terraform()
    base = tmp_path_factory.mktemp("moto")
    (base / "plugin-cache").mkdir()
    with moto_server(base / "moto.log") as (endpoint, process):
        stacks = {
            name: Stack(name, default_synth / "stacks" / name / "cdk.tf.json", base, endpoint, binary, mirror, version)
            for name in ("aws-state", f"aws-{REGION}")
        }
        state, region = stacks["aws-state"], stacks[f"aws-{REGION}"]
        for stack in stacks.values():  # one at a time: the second links the provider from the cache
            ok(stack.run("init", "-input=false"))

        def state_apply():
            return ok(state.run("apply", "-input=false", "-auto-approve"))

        def region_plan_and_apply():
            ok(region.run("plan", "-input=false", "-out=plan.bin"))
            plan = json.loads(ok(region.run("show", "-json", "plan.bin")))
            targets = [f"-target={address}" for address in region.addresses(skip=NOT_APPLIED)]
            applied = ok(region.run("apply", "-input=false", "-auto-approve", *targets))
            return plan, applied

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            state_job, region_job = pool.submit(state_apply), pool.submit(region_plan_and_apply)
            state_job.result()
            plan, _ = region_job.result()
        states = {name: json.loads(ok(stack.run("show", "-json"))) for name, stack in stacks.items()}
        aws = clients(endpoint)
        rotation = operator_stores_tokens(region, aws)
        yield {
            "endpoint": endpoint,
            "process": process,
            "stacks": stacks,
            "plan": plan,
            "states": states,
            "clients": aws,
            "rotation": rotation,
        }
    assert process.poll() is not None, "the moto server is still running"
    port = urllib.parse.urlsplit(endpoint).port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def operator_stores_tokens(region: Stack, aws) -> dict:
    """What the README tells an operator to do after the first deploy; then Terraform refreshes and plans."""
    ssm, secrets = aws("ssm"), aws("secretsmanager")
    ssm.put_parameter(
        Name="/buildkite/agent-token",
        Value=PLANTED_SECRETS["BUILDKITE_AGENT_TOKEN"],
        Type="SecureString",
        KeyId=f"alias/buildkite-{REGION}",
        Overwrite=True,
    )
    secrets.put_secret_value(SecretId="ci/hf-token", SecretString=PLANTED_SECRETS["HF_TOKEN"])
    ok(region.run("apply", "-refresh-only", "-input=false", "-auto-approve"))
    token_resources = [
        a for a in region.addresses() if a.startswith(("aws_ssm_parameter.", "aws_secretsmanager_secret."))
    ]
    plan = region.run("plan", "-input=false", "-detailed-exitcode", *[f"-target={a}" for a in token_resources])
    return {
        "plan": plan,
        "state_file": (region.dir / "terraform.tfstate").read_text(),
        "shown": ok(region.run("show", "-json")),
        "stored": ssm.get_parameter(Name="/buildkite/agent-token", WithDecryption=True)["Parameter"]["Value"],
    }


def clients(endpoint: str):
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=FAKE_KEYS["access_key"], aws_secret_access_key=FAKE_KEYS["secret_key"], region_name=REGION
    )
    return lambda service: session.client(service, endpoint_url=endpoint)


def resources(state: dict) -> dict[str, dict]:
    """address -> attribute values of every managed resource in a `terraform show -json` state."""
    out = {}
    for resource in state.get("values", {}).get("root_module", {}).get("resources", []):
        if resource["mode"] == "managed":
            out[resource["address"]] = resource["values"]
    return out


def of_type(state: dict, kind: str) -> list[dict]:
    return [values for address, values in resources(state).items() if address.startswith(kind + ".")]


@pytest.mark.slow
def test_the_region_stack_plans_whole(emulated):
    region = emulated["stacks"][f"aws-{REGION}"]
    changes = {
        c["address"]: c["change"]["actions"] for c in emulated["plan"]["resource_changes"] if c["mode"] == "managed"
    }
    assert sorted(changes) == region.addresses()
    assert set(map(tuple, changes.values())) == {("create",)}
    stacks = [c for c in emulated["plan"]["resource_changes"] if c["type"] == "aws_cloudformation_stack"]
    here = [
        name for name, aws in load_queues(REPO / "queues.yaml").aws_queues().items() if (aws.region or REGION) == REGION
    ]
    assert len(stacks) == len(here) >= 10
    for change in stacks:
        after = change["change"]["after"]
        assert after["name"].startswith("bk-") and after["template_url"].endswith("/v6.71.1/aws-stack.yml")
        # Known only once the base exists (VPC, key, topic): the plan leaves them to apply.
        unknown = change["change"]["after_unknown"]
        assert unknown["parameters"] is True and unknown["notification_arns"] is True


@pytest.mark.slow
def test_the_state_stack_applies_whole(emulated):
    state = emulated["states"]["aws-state"]
    assert sorted(resources(state)) == emulated["stacks"]["aws-state"].addresses()
    aws = emulated["clients"]
    s3, dynamodb, kms = aws("s3"), aws("dynamodb"), aws("kms")
    key_arn = kms.describe_key(KeyId="alias/buildkite-terraform-state")["KeyMetadata"]["Arn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    bucket = "vllm-ci-terraform-state"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == "vllm-ci-terraform-state-access-logs"
    table = dynamodb.describe_table(TableName="vllm-ci-terraform-locks")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key_arn


@pytest.mark.slow
def test_the_region_base_applies(emulated):
    state = emulated["states"][f"aws-{REGION}"]
    region = emulated["stacks"][f"aws-{REGION}"]
    assert sorted(resources(state)) == region.addresses(skip=NOT_APPLIED)
    aws = emulated["clients"]
    ec2, ssm, secrets, iam, kms, logs, sns = (
        aws(s) for s in ("ec2", "ssm", "secretsmanager", "iam", "kms", "logs", "sns")
    )
    key_arn = kms.describe_key(KeyId=f"alias/buildkite-{REGION}")["KeyMetadata"]["Arn"]

    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"buildkite-{REGION}"]}])["Vpcs"]
    assert vpc["CidrBlock"] == "10.20.0.0/16"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 3
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"buildkite-{REGION}-agents"]}])[
        "SecurityGroups"
    ]
    assert group["IpPermissions"] == [] and group["VpcId"] == vpc["VpcId"]
    (flow_log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    assert (flow_log["TrafficType"], flow_log["LogDestinationType"]) == ("ALL", "cloud-watch-logs")
    (group_,) = logs.describe_log_groups(logGroupNamePrefix=f"/buildkite/buildkite-{REGION}/")["logGroups"]
    assert (group_["retentionInDays"], group_["kmsKeyId"]) == (365, key_arn)

    parameter = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/buildkite/agent-token"]}])[
        "Parameters"
    ][0]
    assert (parameter["Type"], parameter["KeyId"]) == ("SecureString", f"alias/buildkite-{REGION}")
    assert secrets.describe_secret(SecretId="ci/hf-token")["KmsKeyId"] == key_arn
    assert not of_type(state, "aws_secretsmanager_secret_version")  # a container: Terraform stores no value

    policies = {p["PolicyName"]: p for p in iam.list_policies(Scope="Local")["Policies"]}
    expected = {
        f"bk-{q}-ci-access"
        for q in ("bootstrap", "small-cpu-queue-premerge", "arm64-cpu-queue-postmerge", "gpu-1-queue", "gpu-4-queue")
    }
    assert expected <= set(policies)

    def statements(queue: str) -> set:
        policy = policies[f"bk-{queue}-ci-access"]
        document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])[
            "PolicyVersion"
        ]["Document"]
        document = json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document
        return {s["Sid"] for s in document["Statement"]}

    assert statements("arm64-cpu-queue-postmerge") >= {"EcrPublicLogin", "PushCiImages"}  # a builder
    assert statements("gpu-1-queue") >= {"EcrPublicLogin", "PullThroughCache", "ReadHfToken", "DecryptHfToken"}
    assert "PushCiImages" not in statements("gpu-1-queue")

    # The shared model cache: encrypted with the region's key, a mount target in each agent subnet behind its own group.
    efs = aws("efs")
    (fs,) = efs.describe_file_systems()["FileSystems"]
    assert fs["Encrypted"] is True and fs["KmsKeyId"] == key_arn and fs["ThroughputMode"] == "elastic"
    targets = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(s["SubnetId"] for s in subnets)
    (nfs,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"buildkite-{REGION}-model-cache"]}]
    )["SecurityGroups"]
    (rule,) = nfs["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"], rule["IpRanges"]) == (2049, 2049, [])
    assert [g["GroupId"] for g in rule["UserIdGroupPairs"]] == [group["GroupId"]]

    (topic,) = [
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f"buildkite-{REGION}-stack-events")
    ]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == key_arn


@pytest.mark.slow
def test_tokens_stored_by_the_operator_never_reach_the_state(emulated):
    rotation = emulated["rotation"]
    assert rotation["stored"] == PLANTED_SECRETS["BUILDKITE_AGENT_TOKEN"]  # the operator's put-parameter took
    for secret in (PLANTED_SECRETS["BUILDKITE_AGENT_TOKEN"], PLANTED_SECRETS["HF_TOKEN"], "set-by-operator"):
        assert secret not in rotation["state_file"]
        assert secret not in rotation["shown"]
    # ... and Terraform wants nothing back: no write of the placeholder over the real token.
    assert rotation["plan"].returncode == 0, tail(rotation["plan"].stdout + rotation["plan"].stderr)


def test_the_emulator_helper_stops_its_server(tmp_path):
    with moto_server(tmp_path / "moto.log") as (endpoint, process):
        assert is_up(endpoint)
    assert process.poll() is not None
    assert not is_up(endpoint)
