"""Shared test fixtures.

Fixture data from ../shared (beside the checkout) is read in place, never
copied. Tests that need it take the `shared` fixture and are skipped, with the
reason printed, where it is absent.
"""

from __future__ import annotations

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "fixtures"


def shared_path(*parts: str) -> pathlib.Path:
    """Path under ../shared/fixtures; skips the calling test where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"shared fixtures not found at {path} (link ../shared beside the checkout to run this test)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
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
