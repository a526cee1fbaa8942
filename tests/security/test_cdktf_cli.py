"""`cdktf synth` through the real CDKTF CLI gives exactly what `make synth` (python main.py) gives."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from scripts import synth_process
from tests.conftest import PLANTED_SECRETS, REPO, skip

CLI_DIR = REPO / "tools" / "cdktf-cli"
CLI = CLI_DIR / "node_modules" / ".bin" / "cdktf"


def files(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_cdktf_synth_equals_make_synth(default_synth, tmp_path):
    if not CLI.exists():
        skip(f"the CDKTF CLI is not installed at {CLI.relative_to(REPO)} (make cdktf-cli installs it)")
    outdir = tmp_path / "cdktf.out"
    env = synth_process.environment(
        **PLANTED_SECRETS,
        CI="1",
        # cdktf.json runs `python3 main.py`: the python3 of this environment.
        PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    result = subprocess.run(
        [str(CLI), "synth", "--output", str(outdir)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    by_cli, by_make = files(outdir), files(default_synth)
    assert sorted(by_cli) == sorted(by_make)
    assert any(name.endswith("cdk.tf.json") for name in by_cli)
    for name in by_make:
        assert by_cli[name] == by_make[name], name
    for secret in PLANTED_SECRETS.values():
        assert secret not in result.stdout + result.stderr


def test_the_cli_is_pinned_by_a_lock_without_registry_addresses():
    package = json.loads((CLI_DIR / "package.json").read_text())
    assert package["dependencies"] == {"cdktf-cli": "0.21.0"}
    lock_text = (CLI_DIR / "package-lock.json").read_text()
    lock = json.loads(lock_text)
    assert lock["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"
    assert all("resolved" not in entry for entry in lock["packages"].values())
    bundled = ("link", "inBundle")  # shipped inside another package: no tarball of their own
    assert all(
        "integrity" in entry
        for name, entry in lock["packages"].items()
        if name and not any(entry.get(k) for k in bundled)
    )
    assert not re.search(r"https?://[^\"/]*registry", lock_text)
    # Whoever re-locks here writes the lock the same way.
    assert "omit-lockfile-registry-resolved=true" in (CLI_DIR / ".npmrc").read_text().splitlines()
