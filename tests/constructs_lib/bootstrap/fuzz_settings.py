"""Hypothesis settings for the generator's property tests.

The default profile keeps `make test` quick; HYPOTHESIS_PROFILE=long runs many
more examples. Settings are applied per test rather than by loading a global
profile, so other test suites keep their own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = {"default": 40, "ci": 40, "long": 2000}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")

FUZZ = settings(
    max_examples=EXAMPLES.get(PROFILE, EXAMPLES["default"]),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
