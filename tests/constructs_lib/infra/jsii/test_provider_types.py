"""mypy sees the provider classes the lazy loader hands out: a misspelled keyword of a provider call fails the type check."""

from __future__ import annotations

import subprocess
import sys

from scripts import make_provider_stubs
from tests.conftest import REPO


def test_the_committed_stubs_are_the_tables():
    for file, (package, classes) in make_provider_stubs.STUBS.items():
        assert (make_provider_stubs.HERE / file).read_text(encoding="utf-8") == make_provider_stubs.stub(
            package, classes
        ), f"{file} is stale: run python -m scripts.make_provider_stubs"


def mypy(tmp_path, code: str) -> subprocess.CompletedProcess:
    module = tmp_path / "provider_call.py"
    module.write_text(code)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            str(module),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_misspelled_keyword_of_a_provider_call_fails_mypy(tmp_path):
    code = (
        "from constructs import Construct\n"
        "from constructs_lib.infra.jsii.providers import aws, google\n\n\n"
        "def build(scope: Construct) -> None:\n"
        "    aws.S3Bucket(scope, 'a', bucket='x')\n"
        "    google.StorageBucket(scope, 'b', name='y', location='US')\n"
    )
    good = mypy(tmp_path, code)
    assert good.returncode == 0, good.stdout
    bad = mypy(tmp_path, code.replace("bucket='x'", "bukket='x'").replace("location='US'", "locaton='US'"))
    assert bad.returncode == 1
    assert 'Unexpected keyword argument "bukket" for "S3Bucket"' in bad.stdout
    assert 'Unexpected keyword argument "locaton" for "StorageBucket"' in bad.stdout
