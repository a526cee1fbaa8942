"""The AWS stacks of the default queues.yaml: the Elastic CI Stacks vLLM's ci-infra terraform declares, in two regions."""

from __future__ import annotations

import json

import pytest

from constructs_lib.queues.loader import load_queues
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources, synth_stacks

# vllm-project/ci-infra terraform/aws/cloudformation_stack.tf: queue -> (region, instance type, max size);
# and the builders of PRs from forks, which ci-infra does not split from the premerge ones.
CI_INFRA = {
    "cpu_queue_untrusted_us_east_1": ("us-east-1", "r6in.16xlarge", 20),
    "arm64_cpu_queue_untrusted": ("us-west-2", "r7g.16xlarge", 10),
    "bootstrap": ("us-west-2", "r6in.large", 10),
    "small_cpu_queue_premerge": ("us-west-2", "r6in.large", 40),
    "medium_cpu_queue_premerge": ("us-west-2", "r6in.4xlarge", 40),
    "cpu_queue_premerge": ("us-west-2", "r6in.16xlarge", 10),
    "arm64_cpu_queue_premerge": ("us-west-2", "r7g.16xlarge", 10),
    "small_cpu_queue_postmerge": ("us-west-2", "r6in.large", 10),
    "cpu_queue_postmerge": ("us-west-2", "r6in.16xlarge", 10),
    "arm64_cpu_queue_postmerge": ("us-west-2", "r7g.16xlarge", 10),
    "gpu_1_queue": ("us-west-2", "g6.4xlarge", 208),
    "gpu_4_queue": ("us-west-2", "g6.12xlarge", 64),
    "cpu_queue_premerge_us_east_1": ("us-east-1", "r6in.16xlarge", 20),
    "cpu_queue_postmerge_us_east_1": ("us-east-1", "r6in.16xlarge", 10),
    "small_cpu_queue_release": ("us-east-1", "r6in.large", 10),
    "cpu_queue_release": ("us-east-1", "r6in.16xlarge", 10),
    "arm64_cpu_queue_release": ("us-east-1", "r7g.16xlarge", 10),
}
# Queue -> the repositories it may push to: its builds', and no other.
PUSHERS = {
    "arm64_cpu_queue_premerge": ["vllm-ci-test-repo"],
    "cpu_queue_premerge_us_east_1": ["vllm-ci-test-repo"],
    "arm64_cpu_queue_postmerge": ["vllm-ci-postmerge-repo"],
    "cpu_queue_postmerge_us_east_1": ["vllm-ci-postmerge-repo"],
    "small_cpu_queue_postmerge": ["vllm-ci-postmerge-repo"],
    "cpu_queue_release": ["vllm-release-repo"],
    "arm64_cpu_queue_release": ["vllm-release-repo"],
    "small_cpu_queue_release": ["vllm-release-repo"],
    "cpu_queue_untrusted_us_east_1": ["vllm-ci-untrusted-repo"],
    "arm64_cpu_queue_untrusted": ["vllm-ci-untrusted-repo"],
}


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    return synth_stacks((REPO / "queues.yaml").read_text(), tmp_path_factory.mktemp("synth"))


def by_queue(stacks: dict) -> dict[str, tuple[str, dict]]:
    out = {}
    for name, stack in stacks.items():
        if name.startswith("aws-") and name != "aws-state":
            for cfn in resources(stack, "aws_cloudformation_stack").values():
                out[cfn["parameters"]["BuildkiteQueue"]] = (name.removeprefix("aws-"), cfn["parameters"])
    return out


def test_every_elastic_ci_stack_of_ci_infra_in_its_region(stacks):
    assert sorted(s for s in stacks if s.startswith("aws-")) == ["aws-state", "aws-us-east-1", "aws-us-west-2"]
    found = by_queue(stacks)
    assert {q: (region, p["InstanceTypes"], int(p["MaxSize"])) for q, (region, p) in found.items()} == CI_INFRA


def test_gpu_instances_stay_between_jobs_and_cpu_instances_do_not(stacks):
    found = by_queue(stacks)
    for queue, (_, parameters) in found.items():
        keeps = queue in ("gpu_1_queue", "gpu_4_queue")
        assert parameters["BuildkiteTerminateInstanceAfterJob"] == ("false" if keeps else "true"), queue


def policies(stacks: dict) -> dict[str, dict[str, dict]]:
    """Statements by sid, by queue, in every region."""
    out = {}
    for name, stack in stacks.items():
        if not name.startswith("aws-") or name == "aws-state":
            continue
        documents = data_sources(stack, "aws_iam_policy_document")
        for policy in resources(stack, "aws_iam_policy").values():
            queue = policy["name"].removeprefix("bk-").removesuffix("-ci-access")
            out[queue] = {s["sid"]: s for s in documents[policy["policy"].split(".")[2]]["statement"]}
    return out


def test_each_queue_pushes_to_the_repositories_of_its_own_builds_only(stacks):
    found = policies(stacks)
    pushed = {
        q: sorted(r.rsplit("/", 1)[1] for r in s["PushCiImages"]["resources"])
        for q, s in found.items()
        if "PushCiImages" in s
    }
    assert pushed == {q.replace("_", "-"): repositories for q, repositories in PUSHERS.items()}
    for queue, statements in found.items():
        assert {"EcrPublicLogin", "PullThroughCache"} <= set(statements), queue
        if "PushCiImages" in statements:
            push = statements["PushCiImages"]
            assert (
                all(a.startswith("ecr-public:") for a in push["actions"]) and "ecr-public:PutImage" in push["actions"]
            )
            assert all(r.startswith("arn:${data.aws_partition.") and ":ecr-public::" in r for r in push["resources"])


def test_premerge_builders_cannot_push_or_write_the_cache_of_postmerge_builds(stacks):
    found = policies(stacks)
    for queue in (
        "cpu-queue-premerge-us-east-1",
        "arm64-cpu-queue-premerge",
        "cpu-queue-untrusted-us-east-1",
        "arm64-cpu-queue-untrusted",
    ):
        statements = found[queue]
        assert not any("postmerge" in r for r in statements["PushCiImages"]["resources"]), queue
        assert not any("/postmerge/" in r for r in statements["WriteBuildCache"]["resources"]), queue


def test_no_queue_that_runs_trusted_builds_reads_what_untrusted_builds_write(stacks):
    model_builds = {name.replace("_", "-"): queue for name, queue in load_queues(REPO / "queues.yaml").queues.items()}
    for queue, statements in policies(stacks).items():
        if "untrusted" in model_builds[queue].builds:
            continue
        assert not any("/untrusted/" in r for r in statements["ReadBuildCache"]["resources"]), queue
        assert "untrusted/*" not in statements["ListBuildCache"]["condition"][0]["values"], queue


def test_no_queue_carries_an_account_wide_ecr_policy(stacks):
    for queue, (_, parameters) in by_queue(stacks).items():
        assert parameters["ECRAccessPolicy"] == "readonly", queue


def test_gpu_queues_boot_the_toolkits_gpu_image_and_hf_readers_are_tagged(stacks):
    found = by_queue(stacks)
    for queue, (_, parameters) in found.items():
        if queue in ("gpu_1_queue", "gpu_4_queue"):
            assert parameters["ImageIdParameter"] == "/buildkite-ci/ami/gpu-x86_64"
            assert parameters["ScaleInIdlePeriod"] == "1200"
        elif queue in HF_CPU_QUEUES:
            assert parameters["ImageIdParameter"] == "/buildkite-ci/ami/cpu-x86_64"  # the HF-token hook
        else:
            assert "ImageIdParameter" not in parameters, queue
        tagged = "hf-token-secret=ci/hf-token" in parameters.get("BuildkiteAgentTags", "")
        assert tagged == (queue in ("gpu_1_queue", "gpu_4_queue", *HF_CPU_QUEUES)), queue


# The CPU queues whose (trusted) steps read the HF token, as vLLM's CPU steps do: their hosts boot the CPU AMI.
HF_CPU_QUEUES = (
    "small_cpu_queue_premerge",
    "medium_cpu_queue_premerge",
    "cpu_queue_premerge_us_east_1",
    "cpu_queue_postmerge_us_east_1",
)


def test_the_pull_through_cache_is_kept_in_the_main_region_only(stacks):
    (rule,) = resources(stacks["aws-us-west-2"], "aws_ecr_pull_through_cache_rule").values()
    assert (rule["ecr_repository_prefix"], rule["upstream_registry_url"]) == (
        "vllm-ci-pull-through-cache",
        "public.ecr.aws",
    )
    assert not resources(stacks["aws-us-east-1"], "aws_ecr_pull_through_cache_rule")


def test_each_region_has_its_own_network(stacks):
    west = {s["cidr_block"] for s in resources(stacks["aws-us-west-2"], "aws_subnet").values()}
    east = {s["cidr_block"] for s in resources(stacks["aws-us-east-1"], "aws_subnet").values()}
    assert all(c.startswith("10.20.") for c in west) and all(c.startswith("10.21.") for c in east)
    assert len(west) == len(east) == 3


def test_the_layer_caches_are_private_encrypted_expiring_repositories_beside_the_image_builders(stacks):
    region = stacks["aws-us-east-1"]
    repositories = {r["name"]: r for r in resources(region, "aws_ecr_repository").values()}
    assert sorted(repositories) == ["vllm-ci-postmerge-cache", "vllm-ci-test-cache", "vllm-ci-untrusted-cache"]
    assert not resources(stacks["aws-us-west-2"], "aws_ecr_repository")
    for repository in repositories.values():
        assert repository["encryption_configuration"][0]["encryption_type"] == "KMS"
    for lifecycle in resources(region, "aws_ecr_lifecycle_policy").values():
        (rule,) = json.loads(lifecycle["policy"])["rules"]
        assert rule["selection"] == {
            "tagStatus": "any",
            "countType": "sinceImagePushed",
            "countUnit": "days",
            "countNumber": 14,
        }


def test_premerge_builders_write_their_own_layer_cache_and_read_the_postmerge_one(stacks):
    found = policies(stacks)

    def names(queue: str, sid: str) -> set[str]:
        return {r.rsplit("/", 1)[1] for r in found[queue].get(sid, {}).get("resources", [])}

    assert names("cpu-queue-premerge-us-east-1", "WriteLayerCaches") == {"vllm-ci-test-cache"}
    assert names("cpu-queue-premerge-us-east-1", "ReadLayerCaches") == {"vllm-ci-test-cache", "vllm-ci-postmerge-cache"}
    assert names("cpu-queue-postmerge-us-east-1", "ReadLayerCaches") == {"vllm-ci-postmerge-cache"}
    assert names("cpu-queue-untrusted-us-east-1", "WriteLayerCaches") == {"vllm-ci-untrusted-cache"}
    model = load_queues(REPO / "queues.yaml")
    for name, queue in model.queues.items():
        if queue.aws is not None and "untrusted" not in queue.builds:
            key = name.replace("_", "-")
            assert "vllm-ci-untrusted-cache" not in names(key, "WriteLayerCaches") | names(key, "ReadLayerCaches"), name


def test_hosts_of_queues_on_the_aws_runner_boot_a_script_that_mounts_the_regions_model_cache(stacks):
    region = stacks["aws-us-west-2"]
    (fs_id,) = resources(region, "aws_efs_file_system")
    scripts = {o["key"]: o["content"] for o in resources(region, "aws_s3_object").values()}
    found = by_queue(stacks)
    for queue in ("gpu_1_queue", "gpu_4_queue"):
        key = found[queue][1]["BootstrapScriptUrl"].split("/", 3)[3]
        script = scripts[key]
        assert "DOCKER-USER -d 169.254.169.254/32 -j REJECT" in script
        assert (
            f"MODEL_CACHE_FS='${{aws_efs_file_system.{fs_id}.id}}'" in script
            and "MODEL_CACHE_PATH='/fsx/hf_cache'" in script
        )
    for queue in ("cpu_queue_untrusted_us_east_1", "arm64_cpu_queue_premerge", "bootstrap"):
        assert found[queue][1]["BootstrapScriptUrl"].endswith("/boot/block-container-metadata.sh"), queue
    # us-east-1's CPU queues of trusted builds keep the HF cache on the region's own file system.
    (east,) = resources(stacks["aws-us-east-1"], "aws_efs_file_system")
    east_scripts = {o["key"]: o["content"] for o in resources(stacks["aws-us-east-1"], "aws_s3_object").values()}
    key = found["cpu_queue_premerge_us_east_1"][1]["BootstrapScriptUrl"].split("/", 3)[3]
    assert f"MODEL_CACHE_FS='${{aws_efs_file_system.{east}.id}}'" in east_scripts[key]


# ci-infra's token paths: /bk_agent_token_cluster_ci, and the same cluster's token kept in us-east-1 under its own name.
CLUSTER_TOKENS = {
    **{q: "/bk_agent_token_cluster_ci" for q, (region, _, _) in CI_INFRA.items() if region == "us-west-2"},
    "cpu_queue_premerge_us_east_1": "/bk_agent_token_cluster_ci_us_east_1",
    "cpu_queue_postmerge_us_east_1": "/bk_agent_token_cluster_ci_us_east_1",
    "cpu_queue_untrusted_us_east_1": "/bk_agent_token_cluster_ci_us_east_1",
    "small_cpu_queue_release": "/bk_agent_token_cluster_release",
    "cpu_queue_release": "/bk_agent_token_cluster_release",
    "arm64_cpu_queue_release": "/bk_agent_token_cluster_release",
}


def test_every_queue_reads_the_token_of_its_cluster(stacks):
    found = by_queue(stacks)
    assert {q: p["BuildkiteAgentTokenParameterStorePath"] for q, (_, p) in found.items()} == CLUSTER_TOKENS
    # Each region holds the token parameters its queues read, and no other.
    for region in ("us-west-2", "us-east-1"):
        held = {
            p["name"]
            for p in resources(stacks[f"aws-{region}"], "aws_ssm_parameter").values()
            if "agent token" in p["description"]
        }
        assert held == {CLUSTER_TOKENS[q] for q, (r, _) in found.items() if r == region}, region


def test_the_bootstrap_queue_signs_and_every_queue_verifies_with_warn(stacks):
    for queue, (_, parameters) in by_queue(stacks).items():
        assert parameters["BuildkiteAgentVerificationKeySSMParameter"] == "/buildkite/pipeline-signing/public-jwks", (
            queue
        )
        assert parameters["PipelineSigningVerificationFailureBehavior"] == "warn", queue
        signs = {"BuildkiteAgentSigningKeySSMParameter", "BuildkiteAgentSigningKeyID"} & set(parameters)
        assert signs == (signs if queue == "bootstrap" else set()), queue
    bootstrap = by_queue(stacks)["bootstrap"][1]
    assert (bootstrap["BuildkiteAgentSigningKeySSMParameter"], bootstrap["BuildkiteAgentSigningKeyID"]) == (
        "/buildkite/pipeline-signing/private-jwks",
        "vllm-ci-pipelines",
    )


def test_only_the_bootstrap_queue_may_read_the_private_key(stacks):
    found = policies(stacks)
    for queue, statements in found.items():
        read = statements["ReadPipelineSigningKeys"]
        assert read["actions"] == ["ssm:GetParameter"]
        names = sorted(r.split(":parameter", 1)[1] for r in read["resources"])
        wanted = ["/buildkite/pipeline-signing/private-jwks"] if queue == "bootstrap" else []
        assert names == sorted(wanted + ["/buildkite/pipeline-signing/public-jwks"]), queue
        decrypt = statements["DecryptPipelineSigningKeys"]
        assert decrypt["condition"][0]["variable"] == "kms:ViaService" and decrypt["condition"][0]["values"][
            0
        ].startswith("ssm.")
