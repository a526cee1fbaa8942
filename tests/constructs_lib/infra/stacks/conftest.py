"""Fixtures of the stack tests: the GCP stacks of the default file and of the all-features fixture (a test file may define its own)."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES
from tests.constructs_lib.infra.stacks.synth_helpers import synth_stacks


@pytest.fixture(scope="module")
def default_stacks(tmp_path_factory):
    return synth_stacks((REPO / "queues.yaml").read_text(), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def all_feature_stacks(tmp_path_factory):
    return synth_stacks(ALL_FEATURES.read_text(), tmp_path_factory.mktemp("synth-all"))
