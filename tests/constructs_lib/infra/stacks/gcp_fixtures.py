"""Shared inputs of the GCP stack tests: the default file and the all-features fixture."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.synth_helpers import synth_stacks

ALL_FEATURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "queues-gcp-all.yaml"


@pytest.fixture(scope="module")
def default_stacks(tmp_path_factory):
    return synth_stacks((REPO / "queues.yaml").read_text(), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def all_feature_stacks(tmp_path_factory):
    return synth_stacks(ALL_FEATURES.read_text(), tmp_path_factory.mktemp("synth-all"))
