"""The toolkit's AMIs: the packer template validates, the HF-token hook exports the token only where it may, every script passes shellcheck."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import textwrap

import pytest

from constructs_lib.queues import trust
from scripts import stack_ami
from tests.conftest import REPO, shared_path

AMI_DIR = REPO / "scripts" / "ami"
TEMPLATE = AMI_DIR / "ci-images.pkr.hcl"
HOOK = AMI_DIR / "hooks" / "environment"
SHA = "0" * 63 + "1"


def tool(name: str) -> str:
    """The tool's path; `make test` installs it (CI_TOOLKIT_REQUIRE_TOOLS=1 fails instead of skipping)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI_TOOLKIT_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is not installed (make tools installs it)")
        pytest.skip(f"{name} is not installed; make tools installs it")
    return found


def validate(**variables: str) -> subprocess.CompletedProcess:
    args = [tool("packer"), "validate"] + [f"-var={k}={v}" for k, v in variables.items()] + [TEMPLATE.name]
    return subprocess.run(
        args, cwd=AMI_DIR, capture_output=True, text=True, env={**os.environ, "CHECKPOINT_DISABLE": "1"}
    )


BASE = dict(region="us-west-2", source_ami="ami-0123456789abcdef0", stack_version="v6.71.1")


@pytest.mark.parametrize("kind, extra", [("gpu", {"nvidia_driver_sha256": SHA}), ("cpu", {})])
def test_the_packer_template_validates(kind, extra):
    result = validate(kind=kind, **BASE, **extra)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "variables, words",
    [
        (dict(kind="tpu"), "kind value must be gpu or cpu"),
        (dict(nvidia_driver_sha256="abc"), "64 lower-case hex digits"),
    ],
)
def test_the_packer_template_refuses_bad_variables(variables, words):
    result = validate(**BASE, **variables)
    assert result.returncode != 0 and words in result.stdout + result.stderr


def test_the_image_is_encrypted_and_private():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "encrypt_boot    = true" in text and "encrypted             = true" in text
    assert "ami_groups" not in text and "ami_users" not in text and "snapshot_groups" not in text
    install = (AMI_DIR / "install-nvidia.sh").read_text(encoding="utf-8")
    assert "sha256sum --check --strict" in install and "--set-as-default" in install


def run_hook(tmp_path: pathlib.Path, env: dict[str, str], aws_exit: int = 0) -> tuple[str, str, list[str]]:
    """Source the hook in bash with a stand-in `aws`; (HF_TOKEN after it, stderr, the aws calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    aws = bin_dir / "aws"
    aws.write_text(
        textwrap.dedent(f"""\
        #!/usr/bin/env bash
        printf '%s\\n' "$*" >> {calls}
        [ {aws_exit} -eq 0 ] || exit {aws_exit}
        printf 'hf_standin_token\\n'
        """)
    )
    aws.chmod(0o755)
    # Installed as the AMI installs it: the rule of trusted builds beside the hook.
    installed = tmp_path / "lib"
    installed.mkdir(exist_ok=True)
    shutil.copy(HOOK, installed / "hf-token-environment")
    shutil.copy(trust.SHELL_DEFINITION, installed / "trust.sh")
    # The agent's environment hooks run under `set -euo pipefail` as often as not: the hook must too.
    script = f'set -euo pipefail\nsource {installed / "hf-token-environment"}\nprintf "%s" "${{HF_TOKEN-<unset>}}"'
    base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path), "HF_TOKEN": "<from before>"}
    result = subprocess.run(["bash", "-c", script], env={**base, **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    made = calls.read_text().splitlines() if calls.exists() else []
    return result.stdout, result.stderr, made


ALLOWED = {
    "BUILDKITE_AGENT_META_DATA_HF_TOKEN_SECRET": "ci/hf-token",
    "AWS_REGION": "us-west-2",
    "BUILDKITE_REPO": "https://github.com/vllm-project/vllm.git",
}


def test_a_trusted_build_on_an_allowed_queue_gets_the_token(tmp_path):
    token, _, calls = run_hook(tmp_path, {**ALLOWED, "BUILDKITE_PULL_REQUEST": "false"})
    assert token == "hf_standin_token"
    assert calls == [
        "secretsmanager get-secret-value --secret-id ci/hf-token --query SecretString --output text --region us-west-2"
    ]


def test_a_pr_from_the_same_repository_spelled_otherwise_is_trusted(tmp_path):
    env = {**ALLOWED, "BUILDKITE_PULL_REQUEST": "42", "BUILDKITE_PULL_REQUEST_REPO": "git@github.com:vllm-project/vllm"}
    assert run_hook(tmp_path, env)[0] == "hf_standin_token"


@pytest.mark.parametrize("pull_request_repo", ["https://github.com/someone/vllm.git", ""])
def test_a_pr_from_a_fork_or_an_unknown_repository_gets_nothing(tmp_path, pull_request_repo):
    env = {**ALLOWED, "BUILDKITE_PULL_REQUEST": "42", "BUILDKITE_PULL_REQUEST_REPO": pull_request_repo}
    token, stderr, calls = run_hook(tmp_path, env)
    assert token == "<unset>" and calls == []  # not even the one it had before
    assert "not given to a PR from another repository" in stderr


def test_a_queue_without_the_tag_never_asks(tmp_path):
    env = {k: v for k, v in ALLOWED.items() if k != "BUILDKITE_AGENT_META_DATA_HF_TOKEN_SECRET"}
    token, _, calls = run_hook(tmp_path, {**env, "BUILDKITE_PULL_REQUEST": "false"})
    assert token == "<from before>" and calls == []


def test_a_failed_read_leaves_the_job_without_the_token_and_says_so(tmp_path):
    token, stderr, _ = run_hook(tmp_path, {**ALLOWED, "BUILDKITE_PULL_REQUEST": "false"}, aws_exit=255)
    assert token == "<from before>" and "could not read secret ci/hf-token" in stderr
    assert "hf_standin_token" not in stderr


def scripts() -> list[pathlib.Path]:
    """Every shell script of the repository: *.sh and files whose first line runs bash or sh."""
    found = []
    for path in sorted(REPO.rglob("*")):
        parts = set(path.relative_to(REPO).parts)
        if not path.is_file() or parts & {"node_modules", ".git", "cdktf.out", "__pycache__", ".venv"}:
            continue
        if path.suffix == ".sh":
            found.append(path)
            continue
        with open(path, "rb") as handle:
            first = handle.readline(64)
        if first.startswith(b"#!") and (b"bash" in first or first.strip().endswith(b"/sh")):
            found.append(path)
    return found


def test_every_script_passes_shellcheck():
    found = scripts()
    names = {p.relative_to(REPO).as_posix() for p in found}
    assert {
        "scripts/bootstrap.sh",
        "scripts/build_ami.sh",
        "scripts/ami/install-nvidia.sh",
        "scripts/ami/hooks/environment",
    } <= names
    result = subprocess.run([tool("shellcheck"), "--shell=bash", *map(str, found)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


TEMPLATE_WITH_AMIS = """\
Mappings:
  AWSRegion2AMI:
    us-west-2: { linuxamd64: ami-0aaaaaaaaaaaaaaa1, linuxarm64: ami-0aaaaaaaaaaaaaaa2, windows: ami-0aaaaaaaaaaaaaaa3 }
Resources:
  Thing:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      ImageId: !FindInMap [AWSRegion2AMI, !Ref 'AWS::Region', linuxamd64]
"""


def test_the_source_ami_comes_from_the_stack_templates_mapping():
    assert stack_ami.template_ami(TEMPLATE_WITH_AMIS, "us-west-2") == "ami-0aaaaaaaaaaaaaaa1"
    assert stack_ami.template_ami(TEMPLATE_WITH_AMIS, "us-west-2", "arm64") == "ami-0aaaaaaaaaaaaaaa2"
    with pytest.raises(ValueError, match="no AMI for eu-north-1"):
        stack_ami.template_ami(TEMPLATE_WITH_AMIS, "eu-north-1")


def test_a_source_template_says_its_mapping_is_not_filled_in():
    template = shared_path("elastic-ci-stack", "aws-stack-v6.71.1.yml")
    with pytest.raises(ValueError, match="not filled in"):
        stack_ami.template_ami(template.read_text(encoding="utf-8"), "us-west-2")


def test_the_helper_prints_what_build_ami_reads(tmp_path, capsys):
    template = tmp_path / "aws-stack.yml"
    template.write_text(TEMPLATE_WITH_AMIS)
    assert (
        stack_ami.main(["--queues", str(REPO / "queues.yaml"), "--region", "us-west-2", "--template", str(template)])
        == 0
    )
    assert capsys.readouterr().out.split() == [
        "ami-0aaaaaaaaaaaaaaa1",
        "v6.71.1",
        "/buildkite-ci/ami/gpu-x86_64",
        "/buildkite-ci/ami/cpu-x86_64",
    ]


def test_a_published_templates_amis_are_recorded_in_its_catalog():
    from scripts import make_stack_catalog

    published = "Parameters:\n  ImageId: {Type: String, Default: ''}\n" + TEMPLATE_WITH_AMIS
    recorded = make_stack_catalog.catalog(published, "v9.9.9")
    assert recorded["amis"] == {
        "us-west-2": {
            "linuxamd64": "ami-0aaaaaaaaaaaaaaa1",
            "linuxarm64": "ami-0aaaaaaaaaaaaaaa2",
            "windows": "ami-0aaaaaaaaaaaaaaa3",
        }
    }
    # A source template maps `!Ref ImageId`: nothing to record, and the catalog says nothing of AMIs.
    source = shared_path("elastic-ci-stack", "aws-stack-v6.71.1.yml").read_text(encoding="utf-8")
    assert "amis" not in make_stack_catalog.catalog(source, "v6.71.1")
