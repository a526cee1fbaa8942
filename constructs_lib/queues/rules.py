"""Rules of queues.yaml that span several keys.

Each check yields `(key path, message)`; the loader turns the path into a
line. Pure: no files, no cdktf.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterator, Optional, Sequence

from constructs_lib.queues import aws_network, findings, gcp_names, model_cache, places, stack_catalog
from constructs_lib.queues.findings import Finding, Path
from constructs_lib.queues.hostings import HOSTINGS, KINDS, kind_of
from constructs_lib.queues.hostings.aws import parameters as ecp
from constructs_lib.queues.hostings.kubernetes.gke import queues_on_gke
from constructs_lib.queues.model import HF_TOKEN, UNTRUSTED, Queue, QueueInBuildkite, QueuesFile, Runner
from constructs_lib.queues.problems import format_path


def check(model: QueuesFile) -> list[Finding]:
    found: list[Finding] = []
    for rule in (
        _hosting,
        _sizes,
        _aws_places,
        _networks,
        _gcp_places,
        _gcp_cidrs,
        _gcp_names,
        _gke,
        _routing,
        _offers,
        _runners,
        _registry,
        _push_rights,
        _repository_kinds,
        _model_cache_mounts,
        _agent_tokens,
        _pipelines,
        _signing,
        *(rule for kind in KINDS for rule in kind.rules),
    ):
        found.extend(rule(model))
    return found


def _hosting(model: QueuesFile) -> Iterator[Finding]:
    for name, queue in model.queues.items():
        given = [h for h in HOSTINGS if getattr(queue, h) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            yield ("queues", name), f"needs exactly one of {', '.join(HOSTINGS)} to say how it is hosted (got {what})"


def _sizes(model: QueuesFile) -> Iterator[Finding]:
    if model.gcp and model.gcp.gke:
        for pool_name, pool in model.gcp.gke.node_pools.items():
            path = ("gcp", "gke", "node_pools", pool_name)
            yield from findings.min_max(path, pool.min_nodes, pool.max_nodes, "min_nodes", "max_nodes")


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


def _ipv4(path: tuple[Any, ...], text: str | None, low: int, high: int, what: str) -> Iterator[Finding]:
    """An IPv4 block from /low to /high (invalid text is reported by _cidr)."""
    net = findings.parse_cidr(text)
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
        yield from findings.cidr(path + ("vpc_cidr",), network.vpc_cidr)
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
        block = findings.parse_cidr(network.vpc_cidr)
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


def _overlaps(ranges: Sequence[tuple[Path, Optional[str]]]) -> Iterator[Finding]:
    """Each range that overlaps one declared before it (invalid ones are reported by _cidr)."""
    seen: list[tuple[tuple[Any, ...], ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for path, text in ranges:
        net = findings.parse_cidr(text)
        if net is None:
            continue
        for other_path, other in seen:
            if net.version == other.version and net.overlaps(other):
                yield path, f"{net} overlaps {format_path(other_path)} ({other})"
                break
        seen.append((path, net))


def _gcp_cidrs(model: QueuesFile) -> Iterator[Finding]:
    """Subnets and TPU Node blocks of the agent network: valid, and disjoint."""
    if model.gcp is None:
        return
    ranges: list[tuple[Path, Optional[str]]] = [
        (("gcp", "network", "subnets", region), cidr) for region, cidr in model.gcp.network.subnets.items()
    ]
    for path, cidr in ranges:
        yield from findings.cidr(path, cidr)
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
        yield from findings.cidr(path, cidr)
        yield from _ipv4(path, cidr, 8, 29, "a GKE range")
    master = findings.parse_cidr(gke.master_cidr)
    if master is not None and master.prefixlen != 28:
        yield base + ("master_cidr",), f"must be a /28 (got /{master.prefixlen})"
    yield from _overlaps(ranges)
    for i, cidr in enumerate(gke.authorized_networks):
        yield from findings.cidr(base + ("authorized_networks", i), cidr)
        net = findings.parse_cidr(cidr)
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
            yield path + ("queue",), f"queue {pool.queue!r} is not Kubernetes-backed (it is hosted by {queue.hosting})"
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
_GPU_EXPOSURE = {"docker": ("all", "partition", "runtime", "none"), "kubernetes": ("count", "none")}


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
    kubernetes = queue.hosting in HOSTINGS and kind_of(queue).default_plugin == "kubernetes"
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
    on_gke = set(queues_on_gke(model))
    gcp_readers = [name for name, q in model.queues.items() if q.tpu is not None or name in on_gke]
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
                f"the bootstrap queue {bootstrap} signs with a key from SSM: it must be hosted on AWS ({signer.hosting})",
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
            f"needs public_key_secret: queue {gcp_queue} ({model.queues[gcp_queue].hosting}) verifies with it",
        )
