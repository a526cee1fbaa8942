"""Local state for the stacks that hold the remote state's own bucket.

cdktf's default local backend writes the current folder's absolute path into
`cdk.tf.json`, so the same queues.yaml gave other bytes from another folder.
The path here is relative to the stack's folder (`<outdir>/stacks/<stack>`,
where terraform runs): the state file sits beside the output folder, where
cdktf's default puts it when run from the project, and outside the folder a
synth replaces.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformStack


def state_path(stack_id: str) -> str:
    return f"../../../terraform.{stack_id}.tfstate"


def keep_local_state(stack: TerraformStack, stack_id: str) -> None:
    LocalBackend(stack, path=state_path(stack_id))
