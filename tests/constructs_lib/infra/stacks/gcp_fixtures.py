"""The all-features fixture of the GCP stack tests (its stacks are a fixture of conftest.py)."""

from __future__ import annotations

import pathlib

ALL_FEATURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "queues-gcp-all.yaml"
