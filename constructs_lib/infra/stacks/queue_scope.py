"""A namespace per queue in a stack, with the Terraform addresses the queue had before it.

Queue names are the user's: `network`, `secrets` or `build-cache` would
collide with the stack's own construct ids, and `constructor` or `toString`
with the members of a JavaScript object (the constructs library keeps a
scope's children in one), which crashed the synth. Each queue's constructs now
stand in a scope `queue-<name>`, which is neither.

A construct's path decides its Terraform address (cdktf's logical id: its
path's ids and a hash of them), so the new scope would have moved every
queue's resources and made Terraform replace deployed stacks. Each element
under the scope keeps the logical id it had when the queue's constructs stood
directly in the stack, computed as cdktf computes it (`makeUniqueId` of
cdktf 0.21): nothing moves in a deployed fleet's state.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence, Union

from cdktf import TerraformElement
from constructs import Construct, Node

PREFIX = "queue-"
MAIN = "main"  # the queue's own construct; other children were `<queue>-<child>` in the stack


def queue_scope(stack: Construct, queue_name: str) -> Construct:
    return Construct(stack, PREFIX + queue_name)


class KeepsQueueAddresses:
    """Mixin for a TerraformStack whose queue constructs stand in `queue_scope`s.

    cdktf asks the stack for each element's logical id the first time it is
    referenced; this answers with the id the element had before the scopes.
    """

    def _allocate_logical_id(self, tf_element: Union[Node, TerraformElement]) -> str:
        node = tf_element if isinstance(tf_element, Node) else tf_element.node
        components = [scope.node.id for scope in node.scopes][len(self.node.scopes) :]  # type: ignore[attr-defined]
        return logical_id(earlier_components(components))


def earlier_components(components: Sequence[str]) -> list[str]:
    """The path below the stack that an element had before its queue got a scope."""
    if len(components) < 2 or not components[0].startswith(PREFIX):
        return list(components)
    queue, child = components[0][len(PREFIX) :], components[1]
    return [queue if child == MAIN else f"{queue}-{child}", *components[2:]]


_DISALLOWED = re.compile(r"[^A-Za-z0-9_-]")
_HIDDEN = "Default"
_HIDDEN_FROM_HUMANS = "Resource"


def logical_id(components: Sequence[str]) -> str:
    """cdktf's logical id of an element at `components` below its stack."""
    components = [c for c in components if c != _HIDDEN]
    if len(components) == 1:
        candidate = _DISALLOWED.sub("", components[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    readable = "_".join(_DISALLOWED.sub("", c) for c in human if c != _HIDDEN_FROM_HUMANS)[:240]
    return f"{readable}_{digest}"
