"""HostingKind: everything the toolkit knows about one way of hosting a queue, in one object.

Each hosting kind is a unit under `constructs_lib/queues/hostings/<kind>/`:
its section of a queue in queues.yaml (`section.py`), its rules, and this
object, which says the rest: its summary row, the plugin its jobs run with
by default, whether its jobs may get HF_TOKEN (in trusted builds; the
generator decides trust), whether its queues take image builds, and whether
its agents run jobs as pods a job may patch. The
registry (`hostings/__init__.py`) lists the kinds; how a kind's
infrastructure is built lives in `constructs_lib/infra/hostings/<kind>.py`. Pure.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Callable, Literal

from constructs_lib.queues.findings import Rule

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue, QueuesFile

Plugin = Literal["docker", "kubernetes"]


@dataclasses.dataclass(frozen=True)
class HostingKind:
    key: str  # the queue's key in queues.yaml: aws, tpu, kubernetes, external
    default_plugin: Plugin  # the plugin its jobs run with when queues.yaml names no runner
    rules: tuple[Rule, ...]  # the rules of queues.yaml about this kind
    summary_row: Callable[[QueuesFile, str, Queue], tuple[str, ...]]  # (queue, hosting, stack, instance types, min/max)
    hf_token: Callable[[Queue], bool]  # whether the containers of its trusted builds' jobs get HF_TOKEN
    builds_images: Callable[[Queue], bool] = lambda queue: False  # whether it takes the image builds of its builds
    # Whether its agents run each job in a pod that the job's kubernetes plugin may patch (agent-stack-k8s):
    # where a native job of a mirror family (vLLM's AMD, `dind: false`) can run.
    runs_pods: Callable[[Queue], bool] = lambda queue: False
