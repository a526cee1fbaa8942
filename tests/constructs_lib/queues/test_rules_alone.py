"""Each rule of queues/rules.py, named and tested alone on a model built in Python (the loader's tests read YAML)."""

from __future__ import annotations

import copy
from typing import Any, Callable

import yaml

from constructs_lib.queues import rules
from constructs_lib.queues.model import QueuesFile
from tests.constructs_lib.queues.minimal_queues import GCP, MINIMAL

BASE = yaml.safe_load(MINIMAL)
POOL = {"queue": "k8s", "machine_type": "g2-standard-8", "max_nodes": 1, "zones": ["us-central1-a"]}


def model(edit: Callable[[dict[str, Any]], object] = lambda data: None) -> QueuesFile:
    data = copy.deepcopy(BASE)
    edit(data)
    return QueuesFile.model_validate(data, strict=False)


def found(rule: Callable[[QueuesFile], Any], edit: Callable[[dict[str, Any]], object]) -> list[tuple[Any, str]]:
    assert list(rule(model())) == [], "the base model breaks no rule"
    return list(rule(model(edit)))


def with_gke(data: dict[str, Any], **pool: Any) -> None:
    data["gcp"] = {
        **copy.deepcopy(GCP),
        "gke": {"name": "ci", "region": "us-central1", "node_pools": {"p": {**POOL, **pool}}},
    }
    data["queues"]["k8s"] = {"kubernetes": {}}


def test_hosting_exactly_one_section():
    assert found(rules._hosting, lambda d: d["queues"]["cpu_queue"].update(external={})) == [
        (
            ("queues", "cpu_queue"),
            "needs exactly one of aws, tpu, kubernetes, external to say how it is hosted (got aws and external)",
        )
    ]


def test_sizes_of_a_gke_pool():
    assert found(rules._sizes, lambda d: with_gke(d, min_nodes=3)) == [
        (("gcp", "gke", "node_pools", "p", "max_nodes"), "must be >= min_nodes (1 < 3)")
    ]


def test_aws_places_are_regions_the_stack_is_published_for():
    (finding,) = found(rules._aws_places, lambda d: d["aws"].update(region="xx-nowhere-1"))
    assert finding[0] == ("aws", "region") and finding[1].startswith("unknown AWS region xx-nowhere-1")


def test_networks_hold_a_subnet_per_zone():
    (finding,) = found(
        rules._networks, lambda d: d["aws"]["networks"]["us-west-2"].update(vpc_cidr="10.0.0.0/27", zones=3)
    )
    assert finding == (
        ("aws", "networks", "us-west-2", "zones"),
        "10.0.0.0/27 holds 2 subnet(s) of /28, fewer than the 3 zones; use a /26 or larger, or fewer zones",
    )


def test_gcp_places_are_public_regions():
    (finding,) = found(rules._gcp_places, lambda d: d.update(gcp={**GCP, "region": "xx-nowhere9"}))
    assert finding[0] == ("gcp", "region") and finding[1].startswith("unknown GCP region xx-nowhere9")


def test_gcp_subnets_do_not_overlap():
    subnets = {"us-central1": "10.40.0.0/20", "us-east5": "10.40.8.0/21"}
    assert found(rules._gcp_cidrs, lambda d: d.update(gcp={**GCP, "network": {"subnets": subnets}})) == [
        (
            ("gcp", "network", "subnets", "us-east5"),
            "10.40.8.0/21 overlaps gcp.network.subnets.us-central1 (10.40.0.0/20)",
        )
    ]


def test_gcp_names_within_the_limit():
    (finding,) = found(
        rules._gcp_names,
        lambda d: d.update(gcp={**GCP, "network": {"name": "n" * 63, "subnets": GCP["network"]["subnets"]}}),
    )
    assert finding[0] == ("gcp", "network", "name") and "(76 characters; the limit is 63)" in finding[1]


def test_gke_pools_serve_kubernetes_queues():
    assert found(rules._gke, lambda d: with_gke(d, queue="cpu_queue")) == [
        (("gcp", "gke", "node_pools", "p", "queue"), "queue 'cpu_queue' is not Kubernetes-backed (it is hosted by aws)")
    ]


def test_routing_a_label_goes_to_one_queue_per_build():
    def edit(d: dict[str, Any]) -> None:
        d["queues"]["cpu_queue"]["routing"] = {"labels": ["A"]}
        d["queues"]["gpu_4_queue"]["routing"] = {"labels": ["A"]}

    assert found(rules._routing, edit) == [
        (("queues", "gpu_4_queue", "routing", "labels", 0), "'A' is already routed to queue cpu_queue")
    ]
    # Queues of disjoint builds may share it.
    d = copy.deepcopy(BASE)
    edit(d)
    d["queues"]["cpu_queue"]["builds"] = ["premerge"]
    d["queues"]["gpu_4_queue"]["builds"] = ["postmerge"]
    assert list(rules._routing(QueuesFile.model_validate(d, strict=False))) == []


def test_offers_instance_types_of_the_queues_architecture():
    assert found(rules._offers, lambda d: d["queues"]["cpu_queue"].update(architecture="arm64")) == [
        (
            ("queues", "cpu_queue", "aws", "instance_types", 0),
            "r6in.large is x86_64; the queue declares architecture arm64",
        )
    ]


def test_runners_named_exist():
    assert found(rules._runners, lambda d: d["queues"]["cpu_queue"].update(runner="missing")) == [
        (("queues", "cpu_queue", "runner"), "no runner named 'missing' under runners (declared: none)")
    ]


def test_registry_is_one_kind():
    assert found(rules._registry, lambda d: d["aws"].update(registry={})) == [
        (("aws", "registry"), "needs exactly one of ecr_public, ecr_private (got none)")
    ]


def test_push_rights_a_pushing_queue_serves_untrusted_builds_alone():
    def edit(d: dict[str, Any]) -> None:
        d["aws"]["registry"] = {"ecr_public": {"alias": "acme", "repositories": {"ci-repo": ["premerge"]}}}
        d["queues"]["cpu_queue"]["aws"]["builder"] = True

    paths = [path for path, _ in found(rules._push_rights, edit)]
    assert ("queues", "cpu_queue", "builds") in paths


def test_repository_kinds_untrusted_builds_push_to_a_repository_of_their_own():
    repositories = {"ci-repo": ["premerge", "untrusted"]}
    assert found(
        rules._repository_kinds,
        lambda d: d["aws"].update(registry={"ecr_public": {"alias": "acme", "repositories": repositories}}),
    ) == [
        (
            ("aws", "registry", "ecr_public", "repositories", "ci-repo"),
            "untrusted builds push to a repository of their own: trusted builds would run what a fork pushed",
        )
    ]


def test_model_cache_mounts_stay_out_of_the_hosts_system_folders():
    def edit(d: dict[str, Any]) -> None:
        d["aws"]["model_cache"] = {}
        d["queues"]["gpu_4_queue"]["runner"] = {"plugin": "docker", "hf_home": "/hf", "volumes": ["/usr/hf:/hf"]}

    assert found(rules._model_cache_mounts, edit) == [
        (
            ("queues", "gpu_4_queue", "runner", "volumes"),
            "the model cache would be mounted on /usr/hf, a folder of the host's system; keep HF_HOME's volume elsewhere (/fsx/hf_cache)",
        )
    ]
