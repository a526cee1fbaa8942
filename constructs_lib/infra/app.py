"""Compose the stacks for a queue model and synthesize them atomically.

Buildkite's stack, then the stacks of each hosting kind
(constructs_lib.infra.hostings), in the order of the registry of kinds.
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
from typing import Callable

from cdktf import App

from constructs_lib.infra import hostings, output_folder
from constructs_lib.queues import stack_ids
from constructs_lib.queues.hostings import KINDS
from constructs_lib.queues.model import QueuesFile


def _buildkite_stack(app: App, model: QueuesFile) -> None:
    if model.buildkite is None:
        return
    from constructs_lib.infra.stacks.buildkite_stack import BuildkiteStack

    BuildkiteStack(app, stack_ids.BUILDKITE, model=model)


def _hosting_stacks(app: App, model: QueuesFile) -> None:
    for kind in KINDS:
        hostings.stack_builder(kind.key)(app, model)


STACK_BUILDERS: list[Callable[[App, QueuesFile], None]] = [_buildkite_stack, _hosting_stacks]


def build(model: QueuesFile, outdir: str) -> App:
    # Provider schemas are not fetched at synth: everything is prebuilt.
    app = App(outdir=outdir, skip_validation=False)
    for add_stacks in STACK_BUILDERS:
        add_stacks(app, model)
    return app


def synth(model: QueuesFile, outdir: str | os.PathLike[str]) -> None:
    """Synthesize into a locked folder beside `outdir`, then swap it in.

    The caller has checked with `output_folder.check` that `outdir` may be
    replaced. A failure at any point leaves `outdir` exactly as it was.
    """
    target = pathlib.Path(outdir).absolute()
    with output_folder.staged(target) as staging:
        try:
            build(model, str(staging)).synth()
        except RuntimeError as err:
            raise (node_os_error(err) or err) from None
        output_folder.commit(staging, target)


# How jsii reports a file-system error of the node process that writes the files: `Error: ENOSPC: no space left on device, write`.
_NODE_OS_ERROR = re.compile(r"^Error: (E[A-Z]+): ([^,\n]+)")


def node_os_error(err: RuntimeError) -> OSError | None:
    """The OSError a node-side failure of the synth was (a full disk, a read-only folder), or None."""
    found = _NODE_OS_ERROR.match(str(err))
    if found is None:
        return None
    code = getattr(errno, found.group(1), 0)
    return OSError(code, found.group(2))
