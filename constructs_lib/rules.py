"""Rules of queues.yaml that span several keys.

Each check yields `(key path, message)`; the loader turns the path into a
line. Pure: no files, no cdktf.
"""

from __future__ import annotations

import ipaddress
from typing import Iterator

from constructs_lib import elastic_ci_parameters as ecp
from constructs_lib import stack_catalog
from constructs_lib.model import HOSTINGS, QueuesFile

Finding = tuple[tuple, str]


def check(model: QueuesFile) -> list[Finding]:
    findings: list[Finding] = []
    for rule in (_hosting, _sizes, _stack_names, _aws, _catalog, _networks, _tpu, _gke, _routing):
        findings.extend(rule(model))
    return findings


def _hosting(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.queues.items():
        given = [h for h in HOSTINGS if getattr(queue, h) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            yield ("queues", name), f"needs exactly one of {', '.join(HOSTINGS)} to say how it is hosted (got {what})"


def _min_max(path: tuple, low: int, high: int, low_key: str, high_key: str) -> Iterator[Finding]:
    if low > high:
        yield path + (high_key,), f"must be >= {low_key} ({high} < {low})"


def _sizes(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.hosted("aws").items():
        yield from _min_max(("queues", name, "aws"), queue.aws.min_size, queue.aws.max_size, "min_size", "max_size")
    if model.gcp and model.gcp.gke:
        for pool_name, pool in model.gcp.gke.node_pools.items():
            path = ("gcp", "gke", "node_pools", pool_name)
            yield from _min_max(path, pool.min_nodes, pool.max_nodes, "min_nodes", "max_nodes")


def _stack_names(model: QueuesFile) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for name in model.hosted("aws"):
        stack = ecp.stack_name(name)
        if stack in seen:
            yield ("queues", name), f"gives the stack name {stack}, as queue {seen[stack]} does; rename one"
        else:
            seen[stack] = name


def _aws(model: QueuesFile) -> Iterator[Finding]:
    aws_queues = model.hosted("aws")
    if aws_queues and model.aws is None:
        first = next(iter(aws_queues))
        yield ("queues", first, "aws"), "AWS queues need the top-level aws section (region, state, networks, token path)"
        return
    for name, queue in aws_queues.items():
        region = ecp.region(model, queue.aws)
        if region not in model.aws.networks:
            path = ("queues", name, "aws", "region") if queue.aws.region else ("queues", name)
            yield path, f"region {region} has no entry under aws.networks"


def _catalog(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    known = stack_catalog.versions()
    reported: set = set()
    for name, queue in model.hosted("aws").items():
        version = ecp.version(model, queue.aws)
        catalog = stack_catalog.load(version)
        base = ("queues", name, "aws")
        if catalog is None:
            path = base + ("stack_version",) if queue.aws.stack_version else ("aws", "stack_version")
            yield path, f"no parameter catalog for Elastic CI Stack {version} (have {', '.join(known)}); add it with scripts/make_stack_catalog.py"
            continue
        overrides = ecp.overrides(model, queue.aws)
        for parameter, (path, value) in overrides.items():
            full = path if path[0] == "aws" else base + path
            for message in catalog.check(parameter, value):
                if (full, message) not in reported:
                    reported.add((full, message))
                    yield full, message
        # Values the toolkit writes from typed options must suit the version too.
        params = ecp.parameters(model, name, queue.aws)
        for option, (parameter, _) in ecp.OPTION_PARAMETERS.items():
            if parameter in overrides:
                continue
            for message in catalog.check(parameter, params[parameter]):
                if parameter not in catalog.parameters:
                    message = f"Elastic CI Stack {version} has no {parameter} parameter"
                yield base + (option,), message


def _cidr(path: tuple, text: str | None) -> Iterator[Finding]:
    if text is None:
        return
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        yield path, f"invalid CIDR {text!r}: {err}"


def _networks(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    for region, network in model.aws.networks.items():
        path = ("aws", "networks", region)
        if (network.vpc_cidr is None) == (network.existing_vpc is None):
            yield path, "needs exactly one of vpc_cidr (a new VPC) or existing_vpc"
        yield from _cidr(path + ("vpc_cidr",), network.vpc_cidr)


def _tpu(model: QueuesFile) -> Iterator[Finding]:
    tpu_queues = model.hosted("tpu")
    if tpu_queues and model.gcp is None:
        yield ("queues", next(iter(tpu_queues)), "tpu"), "TPU queues need the top-level gcp section (project, region, state, secrets)"
    for name, queue in tpu_queues.items():
        path = ("queues", name, "tpu")
        if queue.tpu.count < 1:
            yield path + ("count",), f"must be at least 1 (got {queue.tpu.count})"
        yield from _cidr(path + ("cidr_block",), queue.tpu.cidr_block)
        if queue.tpu.architecture == "vm" and queue.tpu.cidr_block:
            yield path + ("cidr_block",), "applies to architecture node only"


def _gke(model: QueuesFile) -> Iterator[Finding]:
    if not (model.gcp and model.gcp.gke):
        return
    gke = model.gcp.gke
    yield from _cidr(("gcp", "gke", "master_cidr"), gke.master_cidr)
    for pool_name, pool in gke.node_pools.items():
        path = ("gcp", "gke", "node_pools", pool_name)
        queue = model.queues.get(pool.queue)
        if queue is None:
            yield path + ("queue",), f"no queue named {pool.queue!r} is declared"
        elif queue.kubernetes is None:
            yield path + ("queue",), f"queue {pool.queue!r} is not Kubernetes-backed (it is hosted by {queue.platform})"
        if (pool.accelerator_type is None) != (pool.accelerator_count == 0):
            yield path, "accelerator_type and accelerator_count go together"
        for i, zone in enumerate(pool.zones):
            if not zone.startswith(gke.region + "-"):
                yield path + ("zones", i), f"zone {zone} is not in the cluster's region {gke.region}"


def _routing(model: QueuesFile) -> Iterator[Finding]:
    owners: dict[tuple[str, str], str] = {}
    for name, queue in model.queues.items():
        for kind in ("labels", "devices"):
            for i, value in enumerate(getattr(queue.routing, kind)):
                other = owners.setdefault((kind, value), name)
                if other != name:
                    yield ("queues", name, "routing", kind, i), f"{value!r} is already routed to queue {other}"
    offered = {q.accelerator.type for q in model.queues.values() if q.accelerator}
    if model.routing.default_gpu not in offered:
        yield ("routing", "default_gpu"), f"no queue offers accelerator {model.routing.default_gpu!r}"
