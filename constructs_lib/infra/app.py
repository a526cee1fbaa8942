"""Compose the stacks for a queue model and synthesize them atomically.

Each entry of STACK_BUILDERS adds the stacks of one platform when the model
declares it; a platform that is not declared costs nothing, not even the
import of its provider binding.
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
from typing import Callable

from cdktf import App

from constructs_lib.infra import output_folder
from constructs_lib.queues import elastic_ci_parameters as ecp
from constructs_lib.queues import stack_ids
from constructs_lib.queues.model import AwsQueue, QueuesFile


def _aws_stacks(app: App, model: QueuesFile) -> None:
    queues = model.aws_queues()
    if not queues:
        return
    from constructs_lib.infra.stacks.aws_region_stack import AwsRegionStack
    from constructs_lib.infra.stacks.aws_state_stack import AwsStateStack

    AwsStateStack(app, stack_ids.AWS_STATE, model=model)
    by_region: dict[str, dict[str, AwsQueue]] = {}
    for name, queue in queues.items():
        by_region.setdefault(ecp.region(model, queue), {})[name] = queue
    for region, region_queues in sorted(by_region.items()):
        AwsRegionStack(app, stack_ids.aws_region(region), model=model, region=region, queues=region_queues)


def _gcp_stacks(app: App, model: QueuesFile) -> None:
    gcp = model.gcp
    tpu_queues = model.hosted("tpu")
    gke_enabled = bool(gcp and gcp.gke and gcp.gke.enabled)
    if gcp is None or not (tpu_queues or gke_enabled):
        return
    from constructs_lib.infra.stacks import gcp_state_stack

    gcp_state_stack.GcpStateStack(app, stack_ids.GCP_STATE, model=model)
    if tpu_queues:
        from constructs_lib.infra.stacks import gcp_tpu_stack

        gcp_tpu_stack.GcpTpuStack(app, stack_ids.GCP_TPU, model=model)
    if gke_enabled:
        from constructs_lib.infra.stacks import gcp_gke_stack

        gcp_gke_stack.GcpGkeStack(app, stack_ids.GCP_GKE, model=model)


def _buildkite_stack(app: App, model: QueuesFile) -> None:
    if model.buildkite is None:
        return
    from constructs_lib.infra.stacks.buildkite_stack import BuildkiteStack

    BuildkiteStack(app, stack_ids.BUILDKITE, model=model)


STACK_BUILDERS: list[Callable[[App, QueuesFile], None]] = [_buildkite_stack, _aws_stacks, _gcp_stacks]


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
