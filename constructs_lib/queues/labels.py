"""Label values: what GCP and Kubernetes accept as a label's value. Pure."""

from __future__ import annotations

import re


def label_value(queue_name: str) -> str:
    """A GCP label / Kubernetes label value: [a-z0-9_-], alphanumeric at both ends."""
    return re.sub(r"[^a-z0-9_-]", "_", queue_name.lower()).strip("_-") or "queue"
