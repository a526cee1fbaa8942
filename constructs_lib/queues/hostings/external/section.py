"""The external section of a queue: hosted elsewhere, routed to, never synthesized. Pure pydantic."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from constructs_lib.queues.fields import Strict


class ExternalQueue(Strict):
    """A queue hosted elsewhere: routed to, never synthesized."""

    operator: Optional[str] = Field(None, description="Who runs it.")


class ExternalHosted(Strict):
    """The external section of a queue, as the queue model takes it (constructs_lib.queues.hostings.Hostings)."""

    external: Optional[ExternalQueue] = Field(None, description="Hosted elsewhere.")
