"""agent-no-local-hooks.sh: the agent runs no hooks of the checked-out repository (a fork's .buildkite/hooks)."""

from __future__ import annotations

import shutil
import subprocess

from constructs_lib.infra.host import AGENT_NO_LOCAL_HOOKS
from tests.conftest import skip

CONFIG = "etc/buildkite-agent/buildkite-agent.cfg"


def run(root) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(AGENT_NO_LOCAL_HOOKS)],
        env={"PATH": "/usr/bin:/bin", "ROOT": str(root)},
        capture_output=True,
        text=True,
    )


def test_the_agent_config_turns_local_hooks_off_once(tmp_path):
    config = tmp_path / CONFIG
    config.parent.mkdir(parents=True)
    config.write_text('token="x"\nno-local-hooks = false\nname="a"\n')
    for _ in range(2):
        assert run(tmp_path).returncode == 0
    lines = config.read_text().splitlines()
    assert lines == ['token="x"', 'name="a"', "no-local-hooks=true"]


def test_without_the_agent_config_it_fails_loudly(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_it_passes_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        skip("shellcheck is not installed (Debian package shellcheck; `make tools` installs it)")
    result = subprocess.run([shellcheck, "--severity=style", str(AGENT_NO_LOCAL_HOOKS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
