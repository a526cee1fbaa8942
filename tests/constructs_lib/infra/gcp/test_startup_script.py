"""The TPU agents' boot script: rendered from repository templates, names only, shellcheck-clean."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from constructs_lib.infra.gcp import startup_script
from tests.conftest import skip
from tests.constructs_lib.infra.gcp.boots import agent_boot

NODE = agent_boot(queue="tpu", tpu="bk-tpu-0", zone="us-central1-a", accelerator_type="v3-8", architecture="node")
VM = agent_boot(queue="tpu_v6e", tpu="bk-tpu-v6e-2", zone="us-east5-b", accelerator_type="v6e-1", architecture="vm")


def shellcheck_or_skip() -> str:
    path = shutil.which("shellcheck")
    if path is None:
        skip("shellcheck is not installed (Debian package shellcheck; `make tools` installs it)")
    return path


@pytest.mark.parametrize("name", ["node", "vm", "hook", "template", "hook-template"])
def test_scripts_pass_shellcheck(name, tmp_path):
    shellcheck = shellcheck_or_skip()
    text = {
        "node": lambda: startup_script.render(NODE),
        "vm": lambda: startup_script.render(VM),
        "hook": startup_script.environment_hook,
        "template": lambda: startup_script.AGENT_TEMPLATE.read_text(),
        "hook-template": lambda: startup_script.HOOK_TEMPLATE.read_text(),
    }[name]()
    script = tmp_path / f"{name}.sh"
    script.write_text(text)
    result = subprocess.run([shellcheck, "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_placeholder_is_rendered_with_names_only():
    script = startup_script.render(NODE)
    assert "@@" not in script
    assert "readonly QUEUE=tpu\n" in script
    assert "readonly TPU_NAME=bk-tpu-0\n" in script
    assert "readonly TPU_ZONE=us-central1-a\n" in script
    assert "readonly AGENT_TOKEN_SECRET=buildkite-agent-token\n" in script
    assert "readonly HF_TOKEN_SECRET=hf-token\n" in script
    assert "readonly PROJECT=vllm-ci-infra\n" in script
    assert "readonly DATA_DISKS=(/dev/disk/by-id/google-docker-data)\n" in script
    assert (
        "readonly DATA_DISKS=(/dev/disk/by-id/google-persistent-disk-1 /dev/nvme0n2 /dev/sdb)\n"
        in startup_script.render(VM)
    )


def test_agent_install_is_pinned_and_signed():
    script = startup_script.render(NODE)
    assert f"readonly BUILDKITE_KEY_FINGERPRINT={startup_script.BUILDKITE_KEY_FINGERPRINT}\n" in script
    assert startup_script.BUILDKITE_KEY_FINGERPRINT == "32A37959C2FA5C3C99EFBC32A79206696452D198"
    # The key is checked against the pinned fingerprint before apt trusts it.
    assert '[[ $primary != "$BUILDKITE_KEY_FINGERPRINT" ]]' in script
    assert "deb [signed-by=%s] https://apt.buildkite.com/buildkite-agent stable main" in script
    # Nothing downloaded is ever piped into a shell.
    assert not re.search(r"\|\s*(sudo\s+)?(ba|z|da)?sh\b", script)
    assert "get.docker.com" not in script and "rustup" not in script


def test_tokens_stay_out_of_the_environment_file_and_world_readable_files():
    script = startup_script.render(NODE)
    hook = startup_script.environment_hook()
    assert "/etc/environment" not in script.replace("(nor into /etc/environment)", "")
    assert not re.search(r"chmod\s+[0-7]?[0-7][0-7][2367]\b|chmod\s+\S*o\+w|777", script + hook)
    # Secret files are created under umask 077, then opened to the agent's group only.
    assert "umask 077" in script and "chmod 0640" in script
    # The HF token reaches jobs through the agent's environment hook, which reads it from that file.
    assert "cat >\"$AGENT_DIR/hooks/environment.new\" <<'HOOK'" in script
    assert hook.rstrip("\n") in script
    assert "export HF_TOKEN" in hook
    assert f"hf_token_file={startup_script.HF_TOKEN_FILE}\n" in hook


def test_tpu_name_and_zone_reach_the_agent_environment():
    script = startup_script.render(NODE)
    assert "Environment=TPU_NAME=%s" in script and "Environment=TPU_ZONE=%s" in script
    assert 'tags="queue=%s"' in script and 'name="%s"\\n\' "$AGENT_NAME"' in script


@pytest.mark.parametrize(
    "field, value", [("queue", "tpu; rm -rf /"), ("tpu_name", "$(id)"), ("project", "a b"), ("hf_token_secret", "x'y")]
)
def test_values_that_could_break_out_of_the_script_are_refused(field, value):
    import dataclasses

    with pytest.raises(ValueError, match="cannot be rendered"):
        startup_script.render(dataclasses.replace(NODE, **{field: value}))


def test_terraform_template_syntax_is_escaped():
    assert startup_script.for_terraform('a "${x}" %{if} $y') == 'a "$${x}" %%{if} $y'
    metadata = startup_script.instance_metadata(NODE, **{"tpu-ip-address": "10.0.0.2"})
    assert metadata["startup-script"] == startup_script.for_terraform(startup_script.render(NODE))
    assert "${" not in metadata["startup-script"].replace("$${", "")
    assert metadata["enable-oslogin"] == "TRUE" and metadata["block-project-ssh-keys"] == "TRUE"
    assert metadata["tpu-ip-address"] == "10.0.0.2"


def _hook_token(tmp_path, env: dict[str, str]) -> str:
    """HF_TOKEN after the TPU hosts' agent hook runs, with the token file at a test path."""
    import subprocess

    token_file = tmp_path / "hf-token"
    token_file.write_text("hf_standin")
    hook = startup_script.environment_hook().replace(startup_script.HF_TOKEN_FILE, str(token_file))
    script = hook + '\nprintf "%s" "${HF_TOKEN-<unset>}"\n'
    done = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin", "HF_TOKEN": "<from before>", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_the_tpu_hook_gives_the_hf_token_to_trusted_builds_only(tmp_path):
    ours = "https://github.com/vllm-project/vllm.git"
    assert _hook_token(tmp_path, {"BUILDKITE_PULL_REQUEST": "false", "BUILDKITE_REPO": ours}) == "hf_standin"
    assert (
        _hook_token(
            tmp_path,
            {
                "BUILDKITE_PULL_REQUEST": "5",
                "BUILDKITE_REPO": ours,
                "BUILDKITE_PULL_REQUEST_REPO": "git@github.com:vllm-project/vllm.git",
            },
        )
        == "hf_standin"
    )
    for head in ("https://github.com/someone/vllm.git", ""):
        env = {"BUILDKITE_PULL_REQUEST": "5", "BUILDKITE_REPO": ours, "BUILDKITE_PULL_REQUEST_REPO": head}
        assert _hook_token(tmp_path, env) == "<unset>", head


def run_configure_agent(boot, tmp_path) -> str:
    """configure_agent of the rendered boot script, with Secret Manager and root-only commands stood in; the agent's config."""
    script = startup_script.render(boot)
    (function,) = re.findall(r"^configure_agent\(\) \{\n.*?^HOOK\n.*?^\}\n", script, re.S | re.M)
    (tmp_path / "hooks").mkdir()
    stand_ins = f"""
set -euo pipefail
install() {{ :; }}; chown() {{ :; }}; command() {{ return 0; }}
die() {{ echo "$*" >&2; exit 1; }}
read_secret() {{ printf 'value-of-%s' "$1"; }}
write_private() {{ cat >"$1"; }}
AGENT_DIR={tmp_path} HF_TOKEN_FILE={tmp_path}/hf VERIFICATION_JWKS_FILE={tmp_path}/jwks AGENT_NAME=a QUEUE=q
AGENT_TOKEN_SECRET={boot.agent_token_secret} HF_TOKEN_SECRET={boot.hf_token_secret}
VERIFICATION_JWKS_SECRET='{boot.verification_jwks_secret}' VERIFICATION_FAILURE='{boot.verification_failure}'
"""
    done = subprocess.run(
        ["bash", "-c", stand_ins + function + "configure_agent\n"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return (tmp_path / "buildkite-agent.cfg").read_text()


def test_an_agent_of_a_signing_fleet_verifies_every_job_with_the_public_key(tmp_path):
    import dataclasses

    config = run_configure_agent(
        dataclasses.replace(NODE, verification_jwks_secret="bk-public-jwks", verification_failure="block"), tmp_path
    )
    assert f'verification-jwks-file="{tmp_path}/jwks"' in config
    assert 'verification-failure-behavior="block"' in config
    assert (tmp_path / "jwks").read_text() == "value-of-bk-public-jwks"
    # A fork's .buildkite/hooks never run on the host.
    assert "no-local-hooks=true" in config.splitlines()


def test_an_agent_of_a_fleet_without_signing_verifies_nothing(tmp_path):
    config = run_configure_agent(NODE, tmp_path)
    assert "verification" not in config
    assert not (tmp_path / "jwks").exists()
    assert "no-local-hooks=true" in config.splitlines()
