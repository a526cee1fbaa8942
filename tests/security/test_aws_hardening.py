"""What the AWS stacks do about the checks reviewers run: asserted here, so a refreshed snapshot cannot undo it."""

from __future__ import annotations

import json
import re

import pytest

from constructs_lib.queues.loader import load_queues, parse_queues
from constructs_lib.queues.problems import LoadError
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import resources, synth_stacks
from tests.constructs_lib.queues.minimal_queues import MINIMAL
from tests.security.stack_json import by_path, ref, stacks_of, statements

# The default file's queues in its main region, and those of them that may read the HF token.
_DEFAULT = load_queues(REPO / "queues.yaml")
DEFAULT_AWS_QUEUES = [name for name, aws in _DEFAULT.aws_queues().items() if aws.region in (None, "us-west-2")]
HF_READERS = {name for name in DEFAULT_AWS_QUEUES if _DEFAULT.aws_queues()[name].needs_hf_token}


@pytest.fixture(scope="module")
def region(default_synth) -> dict:
    return stacks_of(default_synth)["aws-us-west-2"]


@pytest.fixture(scope="module")
def state(default_synth) -> dict:
    return stacks_of(default_synth)["aws-state"]


def test_region_key_rotates_and_names_itself_in_its_policy(region):
    key = by_path(region, "resource", "aws_kms_key")["key/key"]
    assert key["enable_key_rotation"] is True
    key_arn = ref(region, "aws_kms_key", "key/key", "arn")
    (policy,) = by_path(region, "resource", "aws_kms_key_policy").values()
    assert policy["key_id"] == ref(region, "aws_kms_key", "key/key", "key_id")
    by_sid = statements(region, policy["policy"])
    assert sorted(by_sid) == [
        "AccountAdministersThroughIam",
        "CloudFormationPublishesStackEvents",
        "CloudWatchLogsEncryptsFlowLogs",
    ]
    for sid, statement in by_sid.items():
        assert statement["resources"] == [key_arn], sid
        if statement["principals"][0]["type"] == "Service":  # services only for one named resource
            (condition,) = statement["condition"]
            assert condition["variable"].startswith("kms:EncryptionContext:"), sid
            assert "kms:*" not in statement["actions"], sid
    assert by_path(region, "resource", "aws_kms_alias")["key/alias"]["name"] == "alias/buildkite-us-west-2"


def test_tokens_are_encrypted_with_the_region_key_and_the_stacks_are_told(region):
    key_id = ref(region, "aws_kms_key", "key/key", "key_id")
    key_arn = ref(region, "aws_kms_key", "key/key", "arn")
    alias = ref(region, "aws_kms_alias", "key/alias", "name")  # what the operator's put-parameter names too
    for parameter in by_path(region, "resource", "aws_ssm_parameter").values():
        assert (parameter["type"], parameter["key_id"]) == ("SecureString", alias)
    assert by_path(region, "resource", "aws_secretsmanager_secret")["secrets/hf-token"]["kms_key_id"] == key_arn
    topic_arn = ref(region, "aws_sns_topic", "stack-events/topic", "arn")
    stacks = by_path(region, "resource", "aws_cloudformation_stack")
    assert sorted(stacks) == sorted(f"queue-{q}/main/stack" for q in DEFAULT_AWS_QUEUES)
    for name, stack in stacks.items():
        assert stack["parameters"]["BuildkiteAgentTokenParameterStoreKMSKey"] == key_id, name
        assert stack["notification_arns"] == [topic_arn], name
    assert by_path(region, "resource", "aws_sns_topic")["stack-events/topic"]["kms_master_key_id"] == key_arn
    assert region["output"]["stack-events-topic"]["value"] == topic_arn


def test_only_hf_readers_may_decrypt_with_the_key_and_only_through_secrets_manager(region):
    key_arn = ref(region, "aws_kms_key", "key/key", "arn")
    decrypters = set()
    for path, policy in by_path(region, "resource", "aws_iam_policy").items():
        by_sid = statements(region, policy["policy"])
        if "DecryptHfToken" in by_sid:
            decrypters.add(path.removeprefix("queue-").split("/access/")[0])
            statement = by_sid["DecryptHfToken"]
            assert (statement["actions"], statement["resources"]) == (["kms:Decrypt"], [key_arn])
            assert statement["condition"] == [
                {
                    "test": "StringEquals",
                    "variable": "kms:ViaService",
                    "values": ["secretsmanager.us-west-2.amazonaws.com"],
                }
            ]
        assert ("DecryptHfToken" in by_sid) == ("ReadHfToken" in by_sid), path
    assert decrypters == HF_READERS
    assert {"gpu_1_queue", "gpu_4_queue", "small_cpu_queue_premerge"} <= HF_READERS and "bootstrap" not in HF_READERS


def test_new_vpc_logs_every_flow_to_an_encrypted_group_kept_a_year(region):
    (flow_log,) = by_path(region, "resource", "aws_flow_log").values()
    assert flow_log["vpc_id"] == ref(region, "aws_vpc", "network/vpc", "id")
    assert (flow_log["traffic_type"], flow_log["log_destination_type"]) == ("ALL", "cloud-watch-logs")
    group = by_path(region, "resource", "aws_cloudwatch_log_group")["network/flow-logs/log-group"]
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(region, "aws_kms_key", "key/key", "arn")
    # CloudWatch Logs checks the key when the group is created: after the key policy that lets it.
    assert group["depends_on"] == [f"aws_kms_key_policy.{next(iter(region['resource']['aws_kms_key_policy']))}"]
    role = by_path(region, "resource", "aws_iam_role")["network/flow-logs/role"]
    (trust,) = statements(region, role["assume_role_policy"]).values()
    assert trust["principals"] == [{"type": "Service", "identifiers": ["vpc-flow-logs.amazonaws.com"]}]
    (write,) = statements(
        region, by_path(region, "resource", "aws_iam_role_policy")["network/flow-logs/write-policy"]["policy"]
    ).values()
    assert "*" not in write["resources"]


def test_subnet_zones_come_from_a_closed_set(region):
    zones = by_path(region, "data", "aws_availability_zones")["network/zones"]
    assert zones["filter"] == [{"name": "zone-name", "values": [f"us-west-2{c}" for c in "abcdef"]}]


def test_state_is_encrypted_with_its_own_key_and_its_reads_are_logged(state):
    key_arn = ref(state, "aws_kms_key", "state/key/key", "arn")
    (table,) = by_path(state, "resource", "aws_dynamodb_table").values()
    assert table["server_side_encryption"] == {"enabled": True, "kms_key_arn": key_arn}
    encryption = by_path(state, "resource", "aws_s3_bucket_server_side_encryption_configuration")
    default = encryption["state/state/encryption"]["rule"][0]["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
    # Log delivery requires S3-managed keys on its target.
    logs_default = encryption["state/access-logs/logs/encryption"]["rule"][0]["apply_server_side_encryption_by_default"]
    assert logs_default == {"sse_algorithm": "AES256"}
    logs_id = ref(state, "aws_s3_bucket", "state/access-logs/logs/bucket", "id")
    (logging,) = by_path(state, "resource", "aws_s3_bucket_logging").values()
    assert (logging["bucket"], logging["target_bucket"]) == (
        ref(state, "aws_s3_bucket", "state/state/bucket", "id"),
        logs_id,
    )
    # S3 checks at PutBucketLogging that it may deliver: after the log bucket's policy (the moto test caught this).
    assert logging["depends_on"] == [f"aws_s3_bucket_policy.{next(iter(state['resource']['aws_s3_bucket_policy']))}"]
    (policy,) = by_path(state, "resource", "aws_s3_bucket_policy").values()
    (delivery,) = statements(state, policy["policy"]).values()
    assert delivery["principals"] == [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}]
    assert delivery["actions"] == ["s3:PutObject"]
    source_arn = next(c for c in delivery["condition"] if c["variable"] == "aws:SourceArn")
    partition = ref(state, "aws_partition", "state/partition", "partition", section="data")
    assert source_arn["values"] == [f"arn:{partition}:s3:::vllm-ci-terraform-state"]


def test_every_bucket_tidies_itself_and_reports_its_events(default_synth):
    stacks = stacks_of(default_synth)
    for stack_id in ("aws-state", "aws-us-west-2"):
        stack = stacks[stack_id]
        buckets = {path.rsplit("/", 1)[0] for path in by_path(stack, "resource", "aws_s3_bucket")}
        lifecycles = {
            path.rsplit("/", 1)[0]: lc
            for path, lc in by_path(stack, "resource", "aws_s3_bucket_lifecycle_configuration").items()
        }
        notifications = {
            path.rsplit("/", 1)[0]: n for path, n in by_path(stack, "resource", "aws_s3_bucket_notification").items()
        }
        assert buckets == set(lifecycles) == set(notifications), stack_id
        for name in buckets:
            assert notifications[name]["eventbridge"] is True
            rules = {rule["id"]: rule for rule in lifecycles[name]["rule"]}
            assert rules["tidy-versions-and-uploads"]["abort_incomplete_multipart_upload"] == [
                {"days_after_initiation": 7}
            ]
    cache_rules = {
        r["id"]: r
        for r in by_path(stacks["aws-us-west-2"], "resource", "aws_s3_bucket_lifecycle_configuration")[
            "build-cache/lifecycle"
        ]["rule"]
    }
    assert cache_rules["expire-objects"]["expiration"] == [{"days": 30}]
    state_rules = by_path(stacks["aws-state"], "resource", "aws_s3_bucket_lifecycle_configuration")[
        "state/state/lifecycle"
    ]["rule"]
    assert [r["id"] for r in state_rules] == ["tidy-versions-and-uploads"]  # state never expires


def test_an_existing_vpc_is_not_logged_by_the_toolkit(tmp_path):
    text = MINIMAL.replace(
        "      vpc_cidr: 10.0.0.0/16\n",
        "      vpc_cidr: 10.0.0.0/16\n    eu-west-1:\n      existing_vpc:\n        vpc_id: vpc-0123456789abcdef0\n"
        "        subnet_ids: [subnet-0123456789abcdef0]\n",
    ).replace(
        "      min_size: 1\n",
        "      min_size: 1\n      region: eu-west-1\n      agent_token_path: /buildkite/release/agent-token\n",
    )
    stacks = synth_stacks(text, tmp_path)
    eu, us = stacks["aws-eu-west-1"], stacks["aws-us-west-2"]
    assert not resources(eu, "aws_flow_log") and not resources(eu, "aws_vpc")
    assert len(resources(us, "aws_flow_log")) == 1
    (parameter,) = resources(eu, "aws_ssm_parameter").values()
    (alias_id,) = resources(eu, "aws_kms_alias")
    assert (parameter["name"], parameter["key_id"]) == (
        "/buildkite/release/agent-token",
        f"${{aws_kms_alias.{alias_id}.name}}",
    )


def test_the_token_key_parameter_is_the_toolkits_to_set():
    text = MINIMAL.replace(
        "      max_size: 4\n",
        "      max_size: 4\n      parameters:\n        BuildkiteAgentTokenParameterStoreKMSKey: abc\n",
    )
    with pytest.raises(LoadError) as err:
        parse_queues(text.encode(), "queues.yaml")
    assert str(err.value) == (
        "queues.yaml:21: queues.cpu_queue.aws.parameters.BuildkiteAgentTokenParameterStoreKMSKey: "
        "set by the toolkit from the queue model; use the queue's own keys instead"
    )


POLICY_ATTRIBUTES = {"policy", "assume_role_policy"}
# Resources whose `policy` is not an IAM policy (an ECR lifecycle policy is a list of expiry rules).
NOT_IAM = {"aws_ecr_lifecycle_policy"}
FROM_DOCUMENT = re.compile(r"^\$\{data\.aws_iam_policy_document\.[A-Za-z0-9_-]+\.json\}$")


def test_every_policy_comes_from_a_policy_document(default_synth, all_features_synth):
    # checkov evaluates aws_iam_policy_document data sources; a policy written as a JSON string reads UNKNOWN.
    seen = 0
    for outdir in (default_synth, all_features_synth):
        for stack_id, stack in stacks_of(outdir).items():
            if not stack_id.startswith("aws-"):
                continue
            for kind, blocks in stack.get("resource", {}).items():
                if kind in NOT_IAM:
                    continue
                for block in blocks.values():
                    for attribute in POLICY_ATTRIBUTES & set(block):
                        seen += 1
                        assert FROM_DOCUMENT.match(block[attribute]), (stack_id, kind, attribute, block[attribute][:80])
    assert seen >= 2 * 12  # policies, key policies, the log bucket's policy, the flow-log role's trust and write


def test_private_ci_repositories_scan_on_push_are_encrypted_expire_and_pushes_follow_the_builds(all_features_synth):
    region = stacks_of(all_features_synth)["aws-us-west-2"]
    key_arn = ref(region, "aws_kms_key", "key/key", "arn")
    repositories = by_path(region, "resource", "aws_ecr_repository")
    assert sorted(r["name"] for r in repositories.values()) == [
        "vllm-ci-postmerge-repo",
        "vllm-ci-test-repo",
        "vllm-ci-untrusted-repo",
    ]
    for repository in repositories.values():
        assert repository["image_scanning_configuration"] == {"scan_on_push": True}
        assert repository["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": key_arn}]
    lifecycles = by_path(region, "resource", "aws_ecr_lifecycle_policy")
    assert len(lifecycles) == 3
    for lifecycle in lifecycles.values():
        rules = {r["selection"]["tagStatus"]: r for r in json.loads(lifecycle["policy"])["rules"]}
        assert rules["untagged"]["selection"]["countNumber"] == 3 and rules["any"]["selection"]["countNumber"] == 500

    def named(resources: list) -> set:
        found = set()
        for resource in resources:
            matched = re.fullmatch(
                r"arn:\$\{data\.aws_partition\.[^}]+\}:ecr:us-west-2:\$\{data\.aws_caller_identity\.[^}]+\}:repository/(vllm-ci-[a-z]+-repo)",
                resource,
            )
            assert matched, resource
            found.add(matched.group(1))
        return found

    pushes, pulls = {}, {}
    for path, policy in by_path(region, "resource", "aws_iam_policy").items():
        by_sid = statements(region, policy["policy"])
        assert by_sid["PullCiImages"]["actions"] == [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
        ]
        queue = path.split("/")[0].removeprefix("queue-")
        pulls[queue] = named(by_sid["PullCiImages"]["resources"])
        if "PushCiImages" in by_sid:
            pushes[queue] = named(by_sid["PushCiImages"]["resources"])
    # Premerge and postmerge builders push to theirs; the untrusted builder only to the untrusted repository.
    assert pushes == {
        "cpu_queue": {"vllm-ci-test-repo", "vllm-ci-postmerge-repo"},
        "cpu_queue_untrusted": {"vllm-ci-untrusted-repo"},
    }
    # Only queues that run untrusted builds may pull what they push.
    assert "vllm-ci-untrusted-repo" not in pulls["cpu_queue"]
    assert "vllm-ci-untrusted-repo" in pulls["gpu_1_queue"] and "vllm-ci-untrusted-repo" in pulls["cpu_queue_untrusted"]
