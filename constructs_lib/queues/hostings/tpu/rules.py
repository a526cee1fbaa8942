"""Rules of queues.yaml about TPU fleets: counts, architectures and runtimes, blocks, disks, resource names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from constructs_lib.queues import findings, gcp_names
from constructs_lib.queues.findings import Finding, Path

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def fleet(model: QueuesFile) -> Iterator[Finding]:
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
        yield from findings.cidr(path + ("cidr_block",), fleet.cidr_block)
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
                block = findings.parse_cidr(fleet.cidr_block)
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


def names(model: QueuesFile) -> Iterator[Finding]:
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


RULES = (fleet, names)
