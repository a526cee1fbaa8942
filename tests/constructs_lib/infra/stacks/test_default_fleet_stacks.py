"""The AWS stacks of the default queues.yaml: the Elastic CI Stacks vLLM's ci-infra terraform declares, in two regions."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import data_sources, resources, synth_stacks

# vllm-project/ci-infra terraform/aws/cloudformation_stack.tf: queue -> (region, instance type, max size).
CI_INFRA = {
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
BUILDERS = {"arm64_cpu_queue_premerge", "arm64_cpu_queue_postmerge", "cpu_queue_premerge_us_east_1",
            "cpu_queue_postmerge_us_east_1", "cpu_queue_release", "arm64_cpu_queue_release"}


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


def test_the_builders_of_each_region_push_and_the_others_only_pull(stacks):
    pushers = set()
    for name, stack in stacks.items():
        if not name.startswith("aws-") or name == "aws-state":
            continue
        documents = data_sources(stack, "aws_iam_policy_document")
        for policy in resources(stack, "aws_iam_policy").values():
            sids = {s["sid"] for s in documents[policy["policy"].split(".")[2]]["statement"]}
            assert {"EcrPublicLogin", "PullThroughCache"} <= sids, policy["name"]
            if "PushCiImages" in sids:
                pushers.add(policy["name"])
    assert pushers == {f"bk-{q.replace('_', '-')}-ci-access" for q in BUILDERS}


def test_builders_push_to_the_declared_ecr_public_repositories_only(stacks):
    stack = stacks["aws-us-east-1"]
    documents = data_sources(stack, "aws_iam_policy_document")
    for policy in resources(stack, "aws_iam_policy").values():
        statements = {s["sid"]: s for s in documents[policy["policy"].split(".")[2]]["statement"]}
        if "PushCiImages" not in statements:
            continue
        push = statements["PushCiImages"]
        assert all(a.startswith("ecr-public:") for a in push["actions"]) and "ecr-public:PutImage" in push["actions"]
        assert sorted(r.rsplit("/", 1)[1] for r in push["resources"]) == ["vllm-ci-postmerge-repo", "vllm-ci-test-repo"]
        assert all(r.startswith("arn:${data.aws_partition.") and ":ecr-public::" in r for r in push["resources"])
        assert statements["EcrPublicLogin"]["actions"] == ["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"]


def test_gpu_queues_boot_the_toolkits_gpu_image_and_hf_readers_are_tagged(stacks):
    found = by_queue(stacks)
    for queue, (_, parameters) in found.items():
        if queue in ("gpu_1_queue", "gpu_4_queue"):
            assert parameters["ImageIdParameter"] == "/buildkite-ci/ami/gpu-x86_64"
            assert parameters["ScaleInIdlePeriod"] == "1200"
        elif queue in ("small_cpu_queue_premerge", "medium_cpu_queue_premerge"):
            assert parameters["ImageIdParameter"] == "/buildkite-ci/ami/cpu-x86_64"  # the HF-token hook
        else:
            assert "ImageIdParameter" not in parameters, queue
        tagged = "hf-token-secret=ci/hf-token" in parameters.get("BuildkiteAgentTags", "")
        assert tagged == (queue in ("gpu_1_queue", "gpu_4_queue", "small_cpu_queue_premerge", "medium_cpu_queue_premerge")), queue


def test_the_pull_through_cache_is_kept_in_the_main_region_only(stacks):
    (rule,) = resources(stacks["aws-us-west-2"], "aws_ecr_pull_through_cache_rule").values()
    assert (rule["ecr_repository_prefix"], rule["upstream_registry_url"]) == ("vllm-ci-pull-through-cache", "public.ecr.aws")
    assert not resources(stacks["aws-us-east-1"], "aws_ecr_pull_through_cache_rule")


def test_each_region_has_its_own_network(stacks):
    west = {s["cidr_block"] for s in resources(stacks["aws-us-west-2"], "aws_subnet").values()}
    east = {s["cidr_block"] for s in resources(stacks["aws-us-east-1"], "aws_subnet").values()}
    assert all(c.startswith("10.20.") for c in west) and all(c.startswith("10.21.") for c in east)
    assert len(west) == len(east) == 3
