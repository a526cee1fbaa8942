"""How the infrastructure of each hosting kind is built: `infra/hostings/<kind>.py` adds its stacks.

The infrastructure half of the hosting kinds of constructs_lib.queues.hostings
(which stay importable without cdktf): each kind's module here has
`add_stacks(app, model)`, found by the kind's key, so a new kind adds its
module and nothing else here. A kind whose stacks are not declared costs
nothing, not even the import of its provider binding.
"""

from __future__ import annotations

import importlib
from typing import Callable, cast

from cdktf import App

from constructs_lib.queues.model import QueuesFile

StackBuilder = Callable[[App, QueuesFile], None]


def stack_builder(key: str) -> StackBuilder:
    """The `add_stacks` of the hosting kind `key` (its module constructs_lib.infra.hostings.<key>)."""
    module = importlib.import_module(f"{__name__}.{key}")
    return cast(StackBuilder, module.add_stacks)
