"""The table `make synth` ends with: what was synthesized for which queue."""

from __future__ import annotations

import pathlib

from constructs_lib.queues.hostings import kind_of
from constructs_lib.queues.model import QueuesFile

HEADER = ("queue", "hosting", "stack", "instance types", "min/max")


def rows(model: QueuesFile) -> list[tuple[str, ...]]:
    return [kind_of(q).summary_row(model, name, q) for name, q in model.queues.items()]


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
