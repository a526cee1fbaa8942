"""Reading synthesized stacks by construct path rather than by hashed logical id."""

from __future__ import annotations

import json
import pathlib


def stacks_of(outdir: pathlib.Path) -> dict[str, dict]:
    """Every synthesized stack of a cdktf.out, parsed, by stack id."""
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


def by_path(stack: dict, section: str, kind: str) -> dict[str, dict]:
    """Blocks of one type (`section` resource or data) by construct path, without the stack id."""
    out = {}
    for block in stack.get(section, {}).get(kind, {}).values():
        path = block["//"]["metadata"]["path"]
        out[path.split("/", 1)[1]] = block
    return out


def ref(stack: dict, kind: str, path: str, attribute: str, section: str = "resource") -> str:
    """The Terraform reference `${kind.<logical id>.attribute}` of the block at construct `path`."""
    for logical_id, block in stack[section][kind].items():
        if block["//"]["metadata"]["path"].split("/", 1)[1] == path:
            prefix = "data." if section == "data" else ""
            return f"${{{prefix}{kind}.{logical_id}.{attribute}}}"
    raise KeyError(f"no {kind} at {path}")


def statements(stack: dict, document_ref: str) -> dict[str, dict]:
    """Statements by sid of the aws_iam_policy_document a `${data....json}` reference names."""
    logical_id = document_ref.removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
    document = stack["data"]["aws_iam_policy_document"][logical_id]
    return {s.get("sid", f"#{i}"): s for i, s in enumerate(document["statement"])}
