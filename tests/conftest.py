"""Shared test fixtures.

Fixture data from ../shared (beside the checkout) is read in place, never
copied. Tests that need it take the `shared` fixture and are skipped, with the
reason printed, where it is absent.
"""

from __future__ import annotations

import pathlib
from typing import NoReturn

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "fixtures"


def skip(reason: str) -> NoReturn:
    """Skip the calling test, printing why (the output of `make test` shows it)."""
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def shared_path(*parts: str) -> pathlib.Path:
    """Path under ../shared/fixtures; skips the calling test where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        skip(f"shared fixtures not found at {path} (link ../shared beside the checkout to run this test)")
    return path


def shared_files(folder: str, pattern: str) -> list:
    """Parameters (one per file) for a test over shared fixture files.

    Where ../shared is absent this is a single skipped parameter whose reason
    says so, rather than an empty set that pytest would pass over silently.
    """
    base = SHARED / folder
    if not base.exists():
        reason = f"shared fixtures not found at {base} (link ../shared beside the checkout to run this test)"
        return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(p, id=p.name) for p in sorted(base.glob(pattern))]


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture
def shared() -> pathlib.Path:
    return shared_path()


# Values planted in the environment of every synth the tests run: none may
# appear in any output (see tests/test_main.py and the security tests).
PLANTED_SECRETS = {
    "BUILDKITE_AGENT_TOKEN": "bkua_planted0agent0token0do0not0leak",
    "HF_TOKEN": "hf_planted0hugging0face0token0do0not0leak",
    "BUILDKITE_TOKEN": "bkct_planted0api0token0do0not0leak",
    # The buildkite provider's API token: read by terraform at deploy, never by the synth.
    "BUILDKITE_API_TOKEN": "bkua_planted0buildkite0api0token0do0not0leak",
    "AWS_SECRET_ACCESS_KEY": "planted0aws0secret0key0do0not0leak",
}


def run_synth(queues: pathlib.Path, outdir: pathlib.Path, extra_env: dict | None = None):
    """`python main.py` in a subprocess, as `make synth` runs it."""
    import subprocess

    from scripts import synth_process

    env = synth_process.environment(**{**PLANTED_SECRETS, **(extra_env or {})})
    return subprocess.run(
        synth_process.command(queues, outdir), cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory) -> pathlib.Path:
    """cdktf.out of the default queues.yaml, synthesized once per test session."""
    outdir = tmp_path_factory.mktemp("default-synth") / "cdktf.out"
    result = run_synth(REPO / "queues.yaml", outdir)
    assert result.returncode == 0, result.stderr
    return outdir
