"""TPU queues: a fleet of TPUs on GCP, each with a Buildkite agent (constructs_lib.infra.gcp)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.queues import stack_ids
from constructs_lib.queues.hostings.kind import HostingKind
from constructs_lib.queues.hostings.tpu.rules import RULES

if TYPE_CHECKING:
    from constructs_lib.queues.model import Queue, QueuesFile


def summary_row(model: QueuesFile, name: str, queue: Queue) -> tuple[str, ...]:
    t = queue.tpu
    assert t is not None
    machines = (
        f"{t.accelerator_type} node + {t.host_machine_type} host"
        if t.architecture == "node"
        else f"{t.accelerator_type} TPU VM"
    )
    return (name, f"gcp {t.zone}", stack_ids.GCP_TPU, machines, f"{t.count}/{t.count}")


# The TPU hosts' agent hook gives every trusted build's job the HF token it reads at boot.
KIND = HostingKind(
    key="tpu", default_plugin="docker", rules=RULES, summary_row=summary_row, hf_token=lambda queue: True
)
