"""The table `make synth` ends with: what was synthesized for which queue."""

from __future__ import annotations

import pathlib
from typing import Callable

from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import Queue, QueuesFile

HEADER = ("queue", "platform", "stack", "instance types", "min/max")


def _aws_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    q = queue.aws
    assert q is not None  # rows are made per hosting
    region = ecp.region(model, q)
    stack = f"{stack_ids.aws_region(region)}/{ecp.stack_name(name)}"
    return (name, f"aws {region}", stack, ",".join(q.instance_types), f"{q.min_size}/{q.max_size}")


def _tpu_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    t = queue.tpu
    assert t is not None
    machines = (
        f"{t.accelerator_type} node + {t.host_machine_type} host"
        if t.architecture == "node"
        else f"{t.accelerator_type} TPU VM"
    )
    return (name, f"gcp {t.zone}", stack_ids.GCP_TPU, machines, f"{t.count}/{t.count}")


def _kubernetes_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    gke = model.gcp.gke if model.gcp else None
    pools = [p for p in (gke.node_pools.values() if gke and gke.enabled else []) if p.queue == name]
    if pools:
        sizes = f"{sum(p.min_nodes for p in pools)}/{sum(p.max_nodes for p in pools)}"
        return (name, "gke", stack_ids.GCP_GKE, ",".join(p.machine_type for p in pools), sizes)
    return (name, "kubernetes", "-", "-", "-")


def _external_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    return (name, "external", "-", "-", "-")


ROWS: dict[str, Callable[[QueuesFile, str, Queue], tuple[str, ...]]] = {
    "aws": _aws_row,
    "tpu": _tpu_row,
    "kubernetes": _kubernetes_row,
    "external": _external_row,
}


def rows(model: QueuesFile) -> list[tuple[str, ...]]:
    return [ROWS[q.platform](model, name, q) for name, q in model.queues.items()]


def table(model: QueuesFile) -> str:
    body = [HEADER, *rows(model)]
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_summary(model: QueuesFile, outdir: str) -> None:
    stacks = sorted(p.parent.name for p in pathlib.Path(outdir, "stacks").glob("*/cdk.tf.json"))
    print(table(model))
    print(f"\n{len(stacks)} stacks in {outdir}/stacks: {', '.join(stacks)}")
