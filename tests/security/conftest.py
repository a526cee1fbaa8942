"""Fixtures of the security tests: the all-features synth (the default one is tests/conftest.py's)."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import run_synth

ALL_FEATURES = pathlib.Path(__file__).resolve().parent / "all_features_queues.yaml"


@pytest.fixture(scope="session")
def all_features_run(tmp_path_factory):
    """`python main.py` over all_features_queues.yaml, planted secrets in its environment: (outdir, result)."""
    outdir = tmp_path_factory.mktemp("all-features-synth") / "cdktf.out"
    result = run_synth(ALL_FEATURES, outdir)
    assert result.returncode == 0, result.stderr
    return outdir, result


@pytest.fixture(scope="session")
def all_features_synth(all_features_run) -> pathlib.Path:
    return all_features_run[0]
