"""Rules of queues.yaml that span several keys.

Each check yields `(key path, message)`; the loader turns the path into a
line. Pure: no files, no cdktf.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterator, Optional, Sequence

from constructs_lib.queues import aws_network, gcp_names, model_cache, places, stack_catalog
from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues.model import HF_TOKEN, HOSTINGS, UNTRUSTED, Queue, QueueInBuildkite, QueuesFile, Runner
from constructs_lib.queues.problems import format_path

Path = tuple[Any, ...]
Finding = tuple[Path, str]


def check(model: QueuesFile) -> list[Finding]:
    findings: list[Finding] = []
    for rule in (
        _hosting,
        _sizes,
        _stack_names,
        _aws,
        _aws_places,
        _catalog,
        _networks,
        _tpu,
        _tpu_names,
        _gcp_places,
        _gcp_cidrs,
        _gcp_names,
        _gke,
        _helm_releases,
        _routing,
        _offers,
        _runners,
        _images,
        _registry,
        _push_rights,
        _repository_kinds,
        _model_cache_mounts,
        _agent_tokens,
        _pipelines,
        _signing,
    ):
        findings.extend(rule(model))
    return findings


def _hosting(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.queues.items():
        given = [h for h in HOSTINGS if getattr(queue, h) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            yield ("queues", name), f"needs exactly one of {', '.join(HOSTINGS)} to say how it is hosted (got {what})"


def _min_max(path: tuple[Any, ...], low: int, high: int, low_key: str, high_key: str) -> Iterator[Finding]:
    if low > high:
        yield path + (high_key,), f"must be >= {low_key} ({high} < {low})"


def _sizes(model: QueuesFile) -> Iterator[Finding]:
    for name, aws in model.aws_queues().items():
        yield from _min_max(("queues", name, "aws"), aws.min_size, aws.max_size, "min_size", "max_size")
        schedule = ecp.option(model, aws, "scheduled_scaling")
        if schedule is not None:
            path: Path = (
                ("queues", name, "aws", "scheduled_scaling")
                if aws.scheduled_scaling
                else ("aws", "queue_defaults", "scheduled_scaling")
            )
            sizes = [
                ("min_size", aws.min_size),
                ("down_min_size", schedule.down_min_size),
                ("up_min_size", schedule.up_min_size),
                ("max_size", aws.max_size),
            ]
            for (low_key, low), (high_key, high) in zip(sizes, sizes[1:], strict=False):
                if low > high:
                    yield (
                        path + ((high_key,) if high_key != "max_size" else (low_key,)),
                        (
                            f"{high_key} ({high}) is below {low_key} ({low}); keep min_size <= down_min_size <= up_min_size <= max_size"
                        ),
                    )
    if model.gcp and model.gcp.gke:
        for pool_name, pool in model.gcp.gke.node_pools.items():
            path = ("gcp", "gke", "node_pools", pool_name)
            yield from _min_max(path, pool.min_nodes, pool.max_nodes, "min_nodes", "max_nodes")


def _stack_names(model: QueuesFile) -> Iterator[Finding]:
    # IAM names are case-insensitive: stacks that differ only by case would share their roles' names.
    seen: dict[str, str] = {}
    for name in model.hosted("aws"):
        stack = ecp.stack_name(name)
        role = ecp.instance_role_name(name)
        if len(role) > ecp.MAX_IAM_ROLE_NAME:
            yield (
                ("queues", name),
                (
                    f"gives the Elastic CI Stack's instance role the name {role} ({len(role)} characters; IAM's limit is "
                    f"{ecp.MAX_IAM_ROLE_NAME}); shorten the queue name to at most {ecp.MAX_IAM_ROLE_NAME - len(role) + len(name)}"
                ),
            )
        if stack.lower() in seen:
            yield (
                ("queues", name),
                f"gives the stack name {stack}, as queue {seen[stack.lower()]} does (IAM names ignore case); rename one",
            )
        else:
            seen[stack.lower()] = name


def _aws_places(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    regions: list[tuple[Path, str]] = [(("aws", "region"), model.aws.region)]
    if model.aws.state.region:
        regions.append((("aws", "state", "region"), model.aws.state.region))
    regions += [(("aws", "networks", region), region) for region in model.aws.networks]
    regions += [
        (("queues", name, "aws", "region"), aws.region) for name, aws in model.aws_queues().items() if aws.region
    ]
    for path, region in regions:
        problem = places.aws_region_problem(region)
        if problem:
            yield path, problem


def _gcp_places(model: QueuesFile) -> Iterator[Finding]:
    found: list[tuple[Path, Optional[str]]] = []
    if model.gcp is not None:
        found.append((("gcp", "region"), places.gcp_region_problem(model.gcp.region)))
        found += [(("gcp", "network", "subnets", r), places.gcp_region_problem(r)) for r in model.gcp.network.subnets]
        gke = model.gcp.gke
        if gke is not None:
            found.append((("gcp", "gke", "region"), places.gcp_region_problem(gke.region)))
            for pool_name, pool in gke.node_pools.items():
                found += [
                    (("gcp", "gke", "node_pools", pool_name, "zones", i), places.gcp_zone_problem(z))
                    for i, z in enumerate(pool.zones)
                ]
    for name, fleet in model.tpu_fleets().items():
        found.append((("queues", name, "tpu", "zone"), places.gcp_zone_problem(fleet.zone)))
    for path, problem in found:
        if problem:
            yield path, problem


def _helm_releases(model: QueuesFile) -> Iterator[Finding]:
    """agent-stack-k8s releases of the GKE-hosted queues: DNS labels of at most 53, one per queue."""
    if not (model.gcp and model.gcp.gke):
        return
    owners: dict[str, str] = {}
    for name, kubernetes in model.kubernetes_queues().items():
        if not kubernetes.runs_on(model.gcp.gke.name):
            continue
        release = gcp_names.helm_release(name)
        if len(release) > gcp_names.MAX_HELM_RELEASE:
            yield (
                ("queues", name),
                f"gives the helm release name {release} ({len(release)} characters; helm's limit is {gcp_names.MAX_HELM_RELEASE})",
            )
        other = owners.setdefault(release, name)
        if other != name:
            yield (
                ("queues", name),
                f"gives the helm release name {release}, as queue {other} does (names are lower-cased, '_' made '-'); rename one",
            )


def _aws(model: QueuesFile) -> Iterator[Finding]:
    aws_queues = model.aws_queues()
    if aws_queues and model.aws is None:
        first = next(iter(aws_queues))
        yield (
            ("queues", first, "aws"),
            "AWS queues need the top-level aws section (region, state, networks, token path)",
        )
        return
    for name, aws in aws_queues.items():
        region = ecp.region(model, aws)
        if model.aws is not None and region not in model.aws.networks:
            path: Path = ("queues", name, "aws", "region") if aws.region else ("queues", name)
            yield path, f"region {region} has no entry under aws.networks"


def _catalog(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    known = stack_catalog.versions()
    reported: set[Any] = set()
    for name, aws in model.aws_queues().items():
        version = ecp.version(model, aws)
        catalog = stack_catalog.load(version)
        base: Path = ("queues", name, "aws")
        if catalog is None:
            path: Path = base + ("stack_version",) if aws.stack_version else ("aws", "stack_version")
            yield (
                path,
                f"no parameter catalog for Elastic CI Stack {version} (have {', '.join(known)}); add it with scripts/make_stack_catalog.py",
            )
            continue
        overrides = ecp.overrides(model, aws)
        for parameter, (where, value) in overrides.items():
            full = where if where[0] == "aws" else base + where
            for message in catalog.check(parameter, value):
                if (full, message) not in reported:
                    reported.add((full, message))
                    yield full, message
        # Values the toolkit writes from typed options must suit the version too.
        params = ecp.parameters(model, name, aws)
        for option, (parameter, _) in ecp.OPTION_PARAMETERS.items():
            if parameter in overrides:
                continue
            if parameter not in params:
                continue  # not set: the stack's default
            for message in catalog.check(parameter, params[parameter]):
                if parameter not in catalog.parameters:
                    message = f"Elastic CI Stack {version} has no {parameter} parameter"
                yield base + (option,), message
        if "EnableScheduledScaling" in params and "EnableScheduledScaling" in catalog.parameters:
            for key, parameter in ecp.SCHEDULE_PARAMETERS.items():
                if parameter not in overrides:
                    for message in catalog.check(parameter, params[parameter]):
                        yield base + ("scheduled_scaling", key), message


def _cidr(path: tuple[Any, ...], text: str | None) -> Iterator[Finding]:
    if text is None:
        return
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        yield path, f"invalid CIDR {text!r}: {err}"


def _ipv4(path: tuple[Any, ...], text: str | None, low: int, high: int, what: str) -> Iterator[Finding]:
    """An IPv4 block from /low to /high (invalid text is reported by _cidr)."""
    net = _parse_cidr(text)
    if net is None:
        return
    if net.version != 4:
        yield path, f"{what} takes an IPv4 block (got {net})"
    elif not low <= net.prefixlen <= high:
        yield path, f"{what} is a /{low} to /{high} (got /{net.prefixlen})"


def _networks(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    for region, network in model.aws.networks.items():
        path = ("aws", "networks", region)
        if (network.vpc_cidr is None) == (network.existing_vpc is None):
            yield path, "needs exactly one of vpc_cidr (a new VPC) or existing_vpc"
        yield from _cidr(path + ("vpc_cidr",), network.vpc_cidr)
        vpc = list(
            _ipv4(
                path + ("vpc_cidr",),
                network.vpc_cidr,
                aws_network.MIN_VPC_PREFIX,
                aws_network.MAX_VPC_PREFIX,
                "an AWS VPC",
            )
        )
        yield from vpc
        block = _parse_cidr(network.vpc_cidr)
        if not vpc and block is not None:
            room = aws_network.subnet_count(block)
            if room < network.zones:
                yield (
                    path + ("zones",),
                    (
                        f"{block} holds {room} subnet(s) of /{aws_network.subnet_prefix(block)}, fewer than the {network.zones} zones; "
                        f"use a /{aws_network.MAX_VPC_PREFIX - (network.zones - 1).bit_length()} or larger, or fewer zones"
                    ),
                )


def _parse_cidr(text: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=True) if text is not None else None
    except ValueError:
        return None


def _overlaps(ranges: Sequence[tuple[Path, Optional[str]]]) -> Iterator[Finding]:
    """Each range that overlaps one declared before it (invalid ones are reported by _cidr)."""
    seen: list[tuple[tuple[Any, ...], ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for path, text in ranges:
        net = _parse_cidr(text)
        if net is None:
            continue
        for other_path, other in seen:
            if net.version == other.version and net.overlaps(other):
                yield path, f"{net} overlaps {format_path(other_path)} ({other})"
                break
        seen.append((path, net))


def _tpu(model: QueuesFile) -> Iterator[Finding]:
    tpu_fleets = model.tpu_fleets()
    if tpu_fleets and model.gcp is None:
        yield (
            ("queues", next(iter(tpu_fleets)), "tpu"),
            "TPU queues need the top-level gcp section (project, region, state, secrets)",
        )
    for name, fleet in tpu_fleets.items():
        path: Path = ("queues", name, "tpu")
        if fleet.count < 1:
            yield path + ("count",), f"must be at least 1 (got {fleet.count})"
            continue
        yield from _cidr(path + ("cidr_block",), fleet.cidr_block)
        generation = gcp_names.generation(fleet.accelerator_type)
        runtime = bool(gcp_names.TPU_VM_RUNTIME.match(fleet.software_version))
        if fleet.architecture == "vm":
            if fleet.cidr_block:
                yield path + ("cidr_block",), "applies to architecture node only"
            if not runtime:
                yield (
                    path + ("software_version",),
                    (
                        f"{fleet.software_version!r} is not a TPU VM runtime; architecture vm takes one such as v2-alpha-tpuv5-lite or tpu-ubuntu2204-base"
                    ),
                )
        else:
            if generation not in gcp_names.NODE_GENERATIONS:
                yield (
                    path + ("accelerator_type",),
                    f"{fleet.accelerator_type} exists only as a TPU VM; set architecture: vm",
                )
            if runtime:
                yield (
                    path + ("software_version",),
                    (
                        f"{fleet.software_version!r} is a TPU VM runtime; a TPU Node takes a TensorFlow or PyTorch version such as 2.12.0 or pytorch-2.0 (or set architecture: vm)"
                    ),
                )
            if fleet.cidr_block is None:
                yield path, "architecture node needs cidr_block: a block with one /29 per TPU (a /26 for 8)"
            else:
                block = _parse_cidr(fleet.cidr_block)
                need = gcp_names.node_blocks_needed(max(fleet.count, 1))
                if block is not None and block.prefixlen > need:
                    yield (
                        path + ("cidr_block",),
                        f"holds {2 ** max(gcp_names.SUBNET_PREFIX - block.prefixlen, 0)} /29 block(s) but the fleet has {fleet.count} TPU Nodes; use a /{need}",
                    )
        if gcp_names.data_disk_type(fleet).startswith("pd-") and generation in gcp_names.HYPERDISK_ONLY:
            yield path + ("data_disk_type",), f"{fleet.accelerator_type} supports only hyperdisk-balanced data disks"
        if model.gcp is not None:
            region = gcp_names.zone_region(fleet.zone)
            if region not in model.gcp.network.subnets:
                yield path + ("zone",), f"region {region} has no subnet under gcp.network.subnets"


def _tpu_names(model: QueuesFile) -> Iterator[Finding]:
    owners: dict[str, str] = {}
    for name, fleet in model.tpu_fleets().items():
        for resource in gcp_names.fleet_names(name, fleet):
            if len(resource) > gcp_names.MAX_NAME:
                yield (
                    ("queues", name),
                    f"gives the GCP resource name {resource} ({len(resource)} characters; the limit is 63); shorten the queue name",
                )
                break
            other = owners.setdefault(resource, name)
            if other != name:
                yield ("queues", name), f"gives the GCP resource name {resource}, as queue {other} does; rename one"
                break


def _gcp_cidrs(model: QueuesFile) -> Iterator[Finding]:
    """Subnets and TPU Node blocks of the agent network: valid, and disjoint."""
    if model.gcp is None:
        return
    ranges: list[tuple[Path, Optional[str]]] = [
        (("gcp", "network", "subnets", region), cidr) for region, cidr in model.gcp.network.subnets.items()
    ]
    for path, cidr in ranges:
        yield from _cidr(path, cidr)
        yield from _ipv4(path, cidr, 8, 29, "a GCP subnet")
    for name, fleet in model.tpu_fleets().items():
        if fleet.architecture == "node":
            ranges.append((("queues", name, "tpu", "cidr_block"), fleet.cidr_block))
    yield from _overlaps(ranges)


def _gcp_names(model: QueuesFile) -> Iterator[Finding]:
    """Names derived from the network and cluster names must fit GCP's limits."""
    if model.gcp is None:
        return
    network = model.gcp.network.name
    derived = [gcp_names.deny_ingress_name(network)] + [
        gcp_names.subnet_name(network, r) for r in model.gcp.network.subnets
    ]
    longest = max(derived, key=len)
    if len(longest) > gcp_names.MAX_NAME:
        yield (
            ("gcp", "network", "name"),
            f"gives the resource name {longest} ({len(longest)} characters; the limit is 63)",
        )
    gke = model.gcp.gke
    if gke is None:
        return
    if len(gke.name) > gcp_names.MAX_CLUSTER_NAME:
        yield ("gcp", "gke", "name"), f"takes at most {gcp_names.MAX_CLUSTER_NAME} characters (got {len(gke.name)})"
    else:
        subnet = gcp_names.subnet_name(gcp_names.gke_network_name(gke.name), gke.region)
        if len(subnet) > gcp_names.MAX_NAME:
            yield ("gcp", "gke", "name"), f"gives the subnet name {subnet} ({len(subnet)} characters; the limit is 63)"
    for pool_name in gke.node_pools:
        if len(pool_name) > gcp_names.MAX_CLUSTER_NAME:
            yield (
                ("gcp", "gke", "node_pools", pool_name),
                f"a node pool name takes at most {gcp_names.MAX_CLUSTER_NAME} characters (got {len(pool_name)})",
            )


def _gke(model: QueuesFile) -> Iterator[Finding]:
    if not (model.gcp and model.gcp.gke):
        return
    gke = model.gcp.gke
    base: Path = ("gcp", "gke")
    ranges = [
        (base + (key,), getattr(gke, key)) for key in ("master_cidr", "subnet_cidr", "pods_cidr", "services_cidr")
    ]
    path: Path
    for path, cidr in ranges:
        yield from _cidr(path, cidr)
        yield from _ipv4(path, cidr, 8, 29, "a GKE range")
    master = _parse_cidr(gke.master_cidr)
    if master is not None and master.prefixlen != 28:
        yield base + ("master_cidr",), f"must be a /28 (got /{master.prefixlen})"
    yield from _overlaps(ranges)
    for i, cidr in enumerate(gke.authorized_networks):
        yield from _cidr(base + ("authorized_networks", i), cidr)
        net = _parse_cidr(cidr)
        if net is not None and net.prefixlen < (8 if net.version == 4 else 32):
            yield (
                base + ("authorized_networks", i),
                (
                    f"{net} would open the control plane to {'the whole internet' if net.prefixlen == 0 else 'a large part of the internet'}; "
                    "list the operators' own ranges"
                ),
            )
    for pool_name, pool in gke.node_pools.items():
        path = base + ("node_pools", pool_name)
        queue = model.queues.get(pool.queue)
        if queue is None:
            yield path + ("queue",), f"no queue named {pool.queue!r} is declared"
        elif queue.kubernetes is None:
            yield path + ("queue",), f"queue {pool.queue!r} is not Kubernetes-backed (it is hosted by {queue.platform})"
        elif not queue.kubernetes.runs_on(gke.name):
            yield (
                path + ("queue",),
                f"queue {pool.queue!r} runs on cluster {queue.kubernetes.cluster!r}, not on {gke.name!r}",
            )
        elif queue.accelerator is not None and pool.accelerator_type is not None:
            wanted = queue.accelerator
            if wanted.type not in pool.accelerator_type.split("-"):
                yield (
                    path + ("accelerator_type",),
                    f"{pool.accelerator_type} does not match queue {pool.queue}'s accelerator {wanted.type}",
                )
            elif pool.accelerator_count < wanted.count:
                yield (
                    path + ("accelerator_count",),
                    f"queue {pool.queue} runs jobs with {wanted.count} {wanted.type} but the pool's nodes have {pool.accelerator_count}",
                )
        if (pool.accelerator_type is None) != (pool.accelerator_count == 0):
            yield path, "accelerator_type and accelerator_count go together"
        for i, zone in enumerate(pool.zones):
            if gcp_names.zone_region(zone) != gke.region:
                yield path + ("zones", i), f"zone {zone} is not in the cluster's region {gke.region}"


def _routing(model: QueuesFile) -> Iterator[Finding]:
    # A label or device goes to one queue per kind of build: queues of disjoint builds may share it.
    owners: dict[tuple[str, str, str], str] = {}
    for name, queue in model.queues.items():
        for kind in ("labels", "devices"):
            seen: set[str] = set()
            for i, value in enumerate(getattr(queue.routing, kind)):
                if not value.strip():
                    yield ("queues", name, "routing", kind, i), "must not be empty"
                    continue
                if value in seen:
                    yield ("queues", name, "routing", kind, i), f"{value!r} is listed twice"
                seen.add(value)
                others = {owners.setdefault((kind, value, build), name) for build in queue.builds} - {name}
                if others:
                    yield (
                        ("queues", name, "routing", kind, i),
                        f"{value!r} is already routed to queue {sorted(others)[0]}",
                    )
    if model.routing.hf_token_for_fork_prs:
        # The trust boundary has no exceptions: a fork's code runs in the containers.
        yield (
            ("routing", "hf_token_for_fork_prs"),
            "untrusted builds (PRs from forks or unknown repositories) never get HF_TOKEN; remove this key",
        )
    if model.routing.bootstrap_queue is not None and model.routing.bootstrap_queue not in model.queues:
        yield ("routing", "bootstrap_queue"), f"no queue named {model.routing.bootstrap_queue!r} is declared"
    offered = {q.accelerator.type for q in model.queues.values() if q.accelerator}
    if model.routing.default_gpu not in offered:
        yield ("routing", "default_gpu"), f"no queue offers accelerator {model.routing.default_gpu!r}"


# Graviton instance families, as the Elastic CI Stack tells them apart
# (its UsingArmInstances condition: a1, c6g, c7gn, g5g, hpc7g, im4gn, r8g, ...):
# a `g` right after the generation digit.
ARM_INSTANCE_FAMILY = re.compile(r"^(a1|[a-z]+[0-9]+g[a-z]*)\.")


def instance_architecture(instance_type: str) -> str:
    return "arm64" if ARM_INSTANCE_FAMILY.match(instance_type) else "x86_64"


def _offers(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.queues.items():
        if queue.family is not None and queue.accelerator is not None:
            yield (
                ("queues", name, "family"),
                f"a queue with accelerators is of their type's family ({queue.accelerator.type}); drop family",
            )
        if queue.aws is not None:
            for i, instance_type in enumerate(queue.aws.instance_types):
                arch = instance_architecture(instance_type)
                if arch != queue.architecture:
                    yield (
                        ("queues", name, "aws", "instance_types", i),
                        (f"{instance_type} is {arch}; the queue declares architecture {queue.architecture}"),
                    )
        if len(set(queue.builds)) != len(queue.builds):
            yield ("queues", name, "builds"), "lists a build kind twice"


# GPU exposure each plugin can give a container.
_GPU_EXPOSURE = {"docker": ("all", "partition", "none"), "kubernetes": ("count", "none")}


def _runners(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.queues.items():
        given = queue.runner
        if given is None:
            continue
        path: Path = ("queues", name, "runner")
        if isinstance(given, str):
            runner = model.runners.get(given)
            if runner is None:
                close = ", ".join(sorted(model.runners)) or "none"
                yield path, f"no runner named {given!r} under runners (declared: {close})"
                continue
            # Problems of a shared runner are named where it is used, with its name.
            for where, message in _runner(runner, queue):
                yield path, f"runner {given}: {format_path(where) + ': ' if where else ''}{message}"
        else:
            for where, message in _runner(given, queue):
                yield path + where, message


def _runner(runner: Runner, queue: Queue) -> Iterator[Finding]:
    kubernetes = queue.kubernetes is not None
    if runner.plugin == "kubernetes" and not kubernetes:
        yield ("plugin",), "the kubernetes plugin runs on queues hosted by kubernetes (agent-stack-k8s)"
    if runner.plugin == "docker" and kubernetes:
        yield ("plugin",), "a queue hosted by kubernetes runs its jobs as pods: use plugin kubernetes"
    if runner.pod is not None and runner.plugin != "kubernetes":
        yield ("pod",), "pod settings are for plugin kubernetes"
    if runner.plugin == "kubernetes" and (runner.secrets or runner.mount_buildkite_agent):
        field = "secrets" if runner.secrets else "mount_buildkite_agent"
        yield (field,), "is for plugin docker (kubernetes: pod.secrets; agent-stack-k8s mounts the agent itself)"
    if runner.gpus is not None:
        allowed = _GPU_EXPOSURE[runner.plugin]
        if runner.gpus not in allowed:
            yield ("gpus",), f"plugin {runner.plugin} exposes GPUs as {' or '.join(allowed)} (got {runner.gpus})"
        elif runner.gpus != "none" and queue.accelerator is None:
            yield ("gpus",), "the queue offers no accelerators"
        elif runner.gpus == "partition" and (queue.accelerator is None or queue.accelerator.partition is None):
            yield ("gpus",), "partition needs accelerator.partition (the MIG slice each agent is given)"
    # HF_TOKEN reaches containers by one rule (needs_hf_token, and never fork PRs
    # unless routing says so); a runner that names it would go around that rule.
    named = {
        "pass_environment": runner.pass_environment,
        "secrets": runner.secrets,
        "environment": list(runner.environment),
    }
    if runner.pod is not None:
        named["pod.secrets"] = list(runner.pod.secrets)
    for field, names in named.items():
        if HF_TOKEN in names:
            yield (
                tuple(field.split(".")),
                f"{HF_TOKEN} is given by the toolkit where allowed (aws.needs_hf_token, trusted builds only); drop it here",
            )
    for i, volume in enumerate(runner.volumes):
        host, _, inside = volume.partition(":")
        if ".." in host.split("/") or ".." in inside.split("/"):
            yield ("volumes", i), f"{volume!r}: write paths without .. parts"


def _images(model: QueuesFile) -> Iterator[Finding]:
    for name, aws in model.aws_queues().items():
        if aws.image in ("gpu", "cpu") and ecp.image_parameter(model, aws.image) is None:
            yield (
                ("queues", name, "aws", "image"),
                f"boots the toolkit's {aws.image} image: declare aws.images.{aws.image} (the SSM parameter make ami writes)",
            )
        if aws.image in ("gpu", "cpu") and model.queues[name].architecture != "x86_64":
            yield (
                ("queues", name, "aws", "image"),
                f"the toolkit's {aws.image} image is x86_64; the queue is {model.queues[name].architecture}",
            )


def _registry(model: QueuesFile) -> Iterator[Finding]:
    registry = model.aws.registry if model.aws else None
    if registry is None:
        return
    given = [kind for kind in ("ecr_public", "ecr_private") if getattr(registry, kind) is not None]
    if len(given) != 1:
        yield ("aws", "registry"), f"needs exactly one of ecr_public, ecr_private (got {' and '.join(given) or 'none'})"


# ECRAccessPolicy values that push to every repository of the account.
_ACCOUNT_WIDE_PUSH = ("poweruser", "full")


def _push_rights(model: QueuesFile) -> Iterator[Finding]:
    """A queue that pushes serves untrusted builds alone or not at all; none serving them pushes account-wide."""
    registry = model.aws.registry if model.aws else None
    for name, aws in model.aws_queues().items():
        builds = model.queues[name].builds
        path: Path = ("queues", name, "builds")
        if aws.may_push and UNTRUSTED in builds and len(set(builds)) > 1:
            yield (
                path,
                (
                    "a queue that pushes (aws.builder or aws.pushes) serves untrusted builds alone: a fork's build on it could "
                    "push where trusted builds read; give untrusted builds a builder queue of their own"
                ),
            )
        if UNTRUSTED in builds and ecp.parameters(model, name, aws).get("ECRAccessPolicy") in _ACCOUNT_WIDE_PUSH:
            where = (
                ("queues", name, "aws", "parameters", "ECRAccessPolicy")
                if "ECRAccessPolicy" in aws.parameters
                else ("queues", name, "aws", "ecr_access")
            )
            yield (
                where,
                "serves untrusted builds: an ECR policy that pushes to every repository of the account is refused (the toolkit's scoped push rights follow aws.builder)",
            )
        if aws.may_push and registry is not None:
            missing = [kind for kind in dict.fromkeys(builds) if not registry.repositories_for([kind])]
            if missing:
                yield (
                    ("queues", name, "aws", "builder" if aws.builder else "pushes"),
                    (
                        f"pushes for {', '.join(missing)} builds, which have no repository in aws.registry to push to; "
                        "list one with those builds"
                    ),
                )


def _repository_kinds(model: QueuesFile) -> Iterator[Finding]:
    """A repository untrusted builds push to is one no trusted build pushes to (and so reads its images from)."""
    registry = model.aws.registry if model.aws else None
    if registry is None:
        return
    for kind in ("ecr_public", "ecr_private", "caches"):
        given = getattr(registry, kind)
        if given is None:
            continue
        for repository, builds in given.repositories.items():
            path: Path = ("aws", "registry", kind, "repositories", repository)
            if not builds:
                yield path, "name the builds whose builders push to it (premerge, postmerge, release, untrusted)"
            if len(set(builds)) != len(builds):
                yield path, "lists a build kind twice"
            if UNTRUSTED in builds and len(set(builds)) > 1:
                yield (
                    path,
                    "untrusted builds push to a repository of their own: trusted builds would run what a fork pushed",
                )
    caches = registry.caches
    if caches is not None:
        seen: dict[str, str] = {}
        for repository, builds in caches.repositories.items():
            for build in builds:
                if build in seen and seen[build] != repository:
                    yield (
                        ("aws", "registry", "caches", "repositories", repository),
                        (f"{build} builds already write {seen[build]}; each kind of build writes one cache"),
                    )
                seen.setdefault(build, repository)
        region = caches.region or (model.aws.region if model.aws else None)
        if region not in {ecp.region(model, q) for q in model.aws_queues().values()}:
            path = ("aws", "registry", "caches", "region") if caches.region else ("aws", "registry", "caches")
            yield (
                path,
                f"no AWS queue is in {region}; the caches are created with the queues of a region (put them with the image builders)",
            )


# Host folders a network file system must not cover: the system's own.
_SYSTEM_FOLDERS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var")


def _model_cache_mounts(model: QueuesFile) -> Iterator[Finding]:
    for name, point in model_cache.mounting_queues(model).items():
        if point == "/" or any(point == f or point.startswith(f + "/") for f in _SYSTEM_FOLDERS):
            given = model.queues[name].runner
            path: Path = (
                ("runners", given, "volumes") if isinstance(given, str) else ("queues", name, "runner", "volumes")
            )
            yield (
                path,
                f"the model cache would be mounted on {point}, a folder of the host's system; keep HF_HOME's volume elsewhere (/fsx/hf_cache)",
            )


# The kinds of build the bootstrap generates: a pipeline's jobs of these kinds may be routed to any queue serving them.
GENERATED_BUILDS = ("premerge", "postmerge", "untrusted")
# Buildkite's cluster queue keys: letters, digits, '-' and '_'.
CLUSTER_QUEUE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
SIGNING_PARAMETERS = ("BuildkiteAgentVerificationKeySSMParameter", "PipelineSigningVerificationFailureBehavior")


def _agent_tokens(model: QueuesFile) -> Iterator[Finding]:
    """Every agent reads a token of its queue's cluster; where that token lives is said once."""
    bk = model.buildkite
    gke_name = model.gcp.gke.name if model.gcp is not None and model.gcp.gke is not None else None
    gcp_readers = [
        name
        for name, q in model.queues.items()
        if q.tpu is not None or (q.kubernetes is not None and gke_name is not None and q.kubernetes.runs_on(gke_name))
    ]
    if bk is None:
        for name, queue in model.queues.items():
            if queue.buildkite != QueueInBuildkite():
                yield ("queues", name, "buildkite"), "needs the top-level buildkite section (organization, clusters)"
        if model.aws is not None and model.aws.agent_token_path is None:
            pathless = [n for n, a in model.aws_queues().items() if a.agent_token_path is None]
            if pathless:
                yield (
                    ("aws",),
                    f"needs agent_token_path (queue {pathless[0]} reads its agent token there), or a buildkite section whose clusters name theirs",
                )
        if model.gcp is not None and model.gcp.secrets.agent_token is None and gcp_readers:
            yield (
                ("gcp", "secrets"),
                f"needs agent_token (queue {gcp_readers[0]} reads its agent token there), or a buildkite section whose clusters name theirs",
            )
        return
    if model.aws is not None and model.aws.agent_token_path is not None:
        yield (
            ("aws", "agent_token_path"),
            "with a buildkite section each cluster names its token: move it to buildkite.clusters.<name>.agent_token_path",
        )
    if model.gcp is not None and model.gcp.secrets.agent_token is not None:
        yield (
            ("gcp", "secrets", "agent_token"),
            "with a buildkite section each cluster names its token: move it to buildkite.clusters.<name>.agent_token_secret",
        )
    for kind in ("agent_token_path", "agent_token_secret"):
        owners: dict[str, str] = {}
        for cluster_name, cluster in bk.clusters.items():
            value = getattr(cluster, kind)
            if value is not None and owners.setdefault(value, cluster_name) != cluster_name:
                yield (
                    ("buildkite", "clusters", cluster_name, kind),
                    f"is cluster {owners[value]}'s too; each cluster has a token of its own",
                )
    paths = {c.agent_token_path: n for n, c in bk.clusters.items() if c.agent_token_path}
    missing: dict[tuple[str, str], list[str]] = {}  # (cluster, key) -> the queues that need it
    for name, queue in model.queues.items():
        cluster_name = queue.buildkite.cluster or bk.first_cluster()
        if cluster_name not in bk.clusters:
            yield (
                ("queues", name, "buildkite", "cluster"),
                f"no cluster named {cluster_name!r} under buildkite.clusters ({', '.join(bk.clusters)})",
            )
            continue
        if not CLUSTER_QUEUE_KEY.match(name):
            yield (
                ("queues", name),
                "a Buildkite cluster queue's key has letters, digits, '-' and '_' only; rename the queue",
            )
        cluster = bk.clusters[cluster_name]
        if queue.aws is not None:
            own = queue.aws.agent_token_path
            if own is not None and paths.get(own, cluster_name) != cluster_name:
                yield (
                    ("queues", name, "aws", "agent_token_path"),
                    (
                        f"is cluster {paths[own]}'s token path, but the queue is in cluster {cluster_name}: its agents could not connect"
                    ),
                )
            if own is None and cluster.agent_token_path is None:
                missing.setdefault((cluster_name, "agent_token_path"), []).append(name)
        if name in gcp_readers and cluster.agent_token_secret is None:
            missing.setdefault((cluster_name, "agent_token_secret"), []).append(name)
    for (cluster_name, key), needing in missing.items():
        where = "AWS" if key == "agent_token_path" else "GCP"
        yield (
            ("buildkite", "clusters", cluster_name),
            (
                f"needs {key}: its queue{'s' if len(needing) > 1 else ''} {', '.join(needing)} run{'' if len(needing) > 1 else 's'} on {where}"
            ),
        )


def _pipelines(model: QueuesFile) -> Iterator[Finding]:
    """A pipeline runs jobs on its own cluster's queues only: the bootstrap's and every one its builds can be routed to."""
    bk = model.buildkite
    if bk is None:
        return
    if bk.pipelines and bk.toolkit is None:
        yield (
            ("buildkite",),
            "needs toolkit (repository, ref): the pipelines' bootstrap step clones the toolkit from there",
        )
    bootstrap = model.bootstrap_queue()
    for slug, pipeline in bk.pipelines.items():
        cluster = pipeline.cluster or bk.first_cluster()
        if cluster not in bk.clusters:
            yield ("buildkite", "pipelines", slug, "cluster"), f"no cluster named {cluster!r} under buildkite.clusters"
            continue
        for name, queue in model.queues.items():
            reached = [kind for kind in queue.builds if kind in GENERATED_BUILDS]
            if name != bootstrap and not reached:
                continue
            own = queue.buildkite.cluster or bk.first_cluster()
            if own != cluster:
                why = "runs its bootstrap" if name == bootstrap else f"takes its {', '.join(reached)} builds' jobs"
                yield (
                    ("queues", name, "buildkite", "cluster"),
                    (
                        f"is in cluster {own}, but pipeline {slug} (cluster {cluster}) {why} there: a pipeline's jobs run on its own cluster's "
                        f"queues only (narrow the queue's builds, or move it)"
                    ),
                )


def _signing(model: QueuesFile) -> Iterator[Finding]:
    bk = model.buildkite
    signing = bk.signing if bk is not None else None
    if signing is None:
        for name, queue in model.queues.items():
            if queue.buildkite.verification_failure is not None:
                yield (
                    ("queues", name, "buildkite", "verification_failure"),
                    "nothing is signed without buildkite.signing",
                )
        return
    bootstrap = model.bootstrap_queue()
    signer = model.queues[bootstrap] if bootstrap in model.queues else None
    if signer is not None:
        if signer.aws is None:
            yield (
                ("buildkite", "signing"),
                f"the bootstrap queue {bootstrap} signs with a key from SSM: it must be hosted on AWS ({signer.platform})",
            )
        routed = signer.routing
        if routed.general or routed.labels or routed.devices or routed.hardware:
            yield (
                ("queues", bootstrap, "routing"),
                (
                    "the bootstrap queue signs what it uploads, and any job on it could read the signing key: "
                    "set general: false and route no labels, devices or hardware to it"
                ),
            )
    for name, aws in model.aws_queues().items():
        catalog = stack_catalog.load(ecp.version(model, aws))
        if catalog is not None and not all(p in catalog.parameters for p in SIGNING_PARAMETERS):
            path: Path = ("queues", name, "aws", "stack_version") if aws.stack_version else ("aws", "stack_version")
            yield (
                path,
                f"Elastic CI Stack {catalog.version} cannot verify signed jobs (no {SIGNING_PARAMETERS[0]}); pin v6.71.1 or later",
            )
    gcp_queue = next((n for n, q in model.queues.items() if q.tpu is not None or q.kubernetes is not None), None)
    if gcp_queue is not None and signing.public_key_secret is None:
        yield (
            ("buildkite", "signing"),
            f"needs public_key_secret: queue {gcp_queue} ({model.queues[gcp_queue].platform}) verifies with it",
        )
