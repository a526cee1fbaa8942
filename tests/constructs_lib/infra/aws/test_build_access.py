"""Push rights and cache rights follow the builds a queue serves: what an untrusted build writes, no trusted queue reads."""

from __future__ import annotations

import pytest

from constructs_lib.infra.aws.cache_access import cache_access
from constructs_lib.infra.aws.registry_access import registry_access
from constructs_lib.queues.model import CiRegistry, readable_kinds

REPOSITORIES = {"ci-test": ["premerge"], "ci-main": ["postmerge", "release"], "ci-forks": ["untrusted"]}
BUCKET = "arn:aws:s3:::ci-cache"


def registry(kind: str) -> CiRegistry:
    return CiRegistry.model_validate(
        {kind: {"repositories": REPOSITORIES} | ({"alias": "myci"} if kind == "ecr_public" else {})}
    )


def pushed(access) -> set[str]:
    return {arn.rsplit("/", 1)[1] for s in access.push for arn in s["resources"]}


@pytest.mark.parametrize("kind", ["ecr_public", "ecr_private"])
@pytest.mark.parametrize(
    "serves, pushes, expected",
    [
        (["premerge"], True, {"ci-test"}),
        (["postmerge", "release"], True, {"ci-main"}),
        (["untrusted"], True, {"ci-forks"}),
        (["premerge", "postmerge", "release", "untrusted"], False, set()),
    ],
)
def test_a_queue_pushes_to_the_repositories_of_its_builds_only(kind, serves, pushes, expected):
    access = registry_access(
        registry(kind), partition="aws", account="1", main_region="us-west-2", serves=serves, pushes=pushes
    )
    assert pushed(access) == expected


def test_only_queues_running_untrusted_builds_pull_the_untrusted_repository():
    def pulled(serves):
        access = registry_access(
            registry("ecr_private"), partition="aws", account="1", main_region="us-west-2", serves=serves, pushes=False
        )
        return {arn.rsplit("/", 1)[1] for s in access.pull if s["sid"] == "PullCiImages" for arn in s["resources"]}

    assert pulled(["premerge", "postmerge"]) == {"ci-test", "ci-main"}
    assert pulled(["premerge", "untrusted"]) == {"ci-test", "ci-main", "ci-forks"}


def test_one_trust_order_decides_every_read():
    assert readable_kinds(["untrusted"]) == ("premerge", "postmerge", "release", "untrusted")
    assert readable_kinds(["premerge"]) == ("premerge", "postmerge", "release")
    assert readable_kinds(["postmerge"]) == readable_kinds(["release"]) == ("postmerge", "release")
    assert readable_kinds(["postmerge", "premerge"]) == readable_kinds(["premerge"])  # the least trusted decides


def test_a_postmerge_queue_reads_no_premerge_image_or_build_cache():
    access = registry_access(
        registry("ecr_private"),
        partition="aws",
        account="1",
        main_region="us-west-2",
        serves=["postmerge"],
        pushes=True,
    )
    pulled = {arn.rsplit("/", 1)[1] for s in access.pull if s["sid"] == "PullCiImages" for arn in s["resources"]}
    assert pulled == {"ci-main"}
    reads = by_sid(cache_access(BUCKET, serves=["postmerge"], pushes=True))["ReadBuildCache"]["resources"]
    assert reads == [f"{BUCKET}/postmerge/*", f"{BUCKET}/release/*"]


def by_sid(statements) -> dict:
    return {s["sid"]: s for s in statements}


def test_an_untrusted_builder_writes_only_the_untrusted_prefix():
    statements = by_sid(cache_access(BUCKET, serves=["untrusted"], pushes=True))
    assert statements["WriteBuildCache"]["resources"] == [f"{BUCKET}/untrusted/*"]


def test_a_trusted_queue_reads_and_lists_no_untrusted_prefix():
    statements = by_sid(cache_access(BUCKET, serves=["premerge", "postmerge"], pushes=True))
    assert f"{BUCKET}/untrusted/*" not in statements["ReadBuildCache"]["resources"]
    assert "untrusted/*" not in statements["ListBuildCache"]["condition"][0]["values"]
    assert statements["WriteBuildCache"]["resources"] == [f"{BUCKET}/premerge/*", f"{BUCKET}/postmerge/*"]


def test_a_queue_that_does_not_push_writes_nothing_and_no_bucket_means_no_statement():
    assert "WriteBuildCache" not in by_sid(cache_access(BUCKET, serves=["premerge"], pushes=False))
    assert cache_access(None, serves=["premerge"], pushes=True) == ()


CACHES = {
    "region": "us-east-1",
    "repositories": {"c-test": ["premerge"], "c-main": ["postmerge", "release"], "c-forks": ["untrusted"]},
}


def cache_grants(serves, pushes) -> tuple[set[str], set[str]]:
    given = CiRegistry.model_validate({"ecr_public": {"alias": "myci", "repositories": REPOSITORIES}, "caches": CACHES})
    access = registry_access(given, partition="aws", account="1", main_region="us-west-2", serves=serves, pushes=pushes)
    by_sid = {s["sid"]: s for s in access.pull + access.push}
    for statement in by_sid.values():
        if statement["sid"].endswith("LayerCaches"):
            assert all(r.startswith("arn:aws:ecr:us-east-1:1:repository/") for r in statement["resources"])
    names = lambda sid: {r.rsplit("/", 1)[1] for r in by_sid.get(sid, {}).get("resources", [])}  # noqa: E731
    return names("ReadLayerCaches"), names("WriteLayerCaches")


@pytest.mark.parametrize(
    "serves, pushes, reads, writes",
    [
        (["untrusted"], True, {"c-forks", "c-test", "c-main"}, {"c-forks"}),
        (["premerge"], True, {"c-test", "c-main"}, {"c-test"}),
        (["postmerge"], True, {"c-main"}, {"c-main"}),
        (["release"], True, {"c-main"}, {"c-main"}),
        (["premerge", "postmerge"], False, {"c-test", "c-main"}, set()),
    ],
)
def test_a_build_reads_its_own_and_more_trusted_layer_caches_and_writes_only_its_own(serves, pushes, reads, writes):
    assert cache_grants(serves, pushes) == (reads, writes)
