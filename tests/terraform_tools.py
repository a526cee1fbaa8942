"""Run the real terraform binary against synthesized stacks, offline.

The machine image ships terraform and a filesystem mirror of the
hashicorp/aws provider; `terraform init` is pointed at that mirror only, so
no test touches the network. Where either is missing, tests skip with the
reason printed.
"""

from __future__ import annotations

import glob
import json
import os
import pathlib
import shutil
import subprocess

from tests.conftest import skip

# Where provider mirrors are usually laid out; TF_PROVIDER_MIRROR overrides.
MIRROR_CANDIDATES = [
    "/opt/tf-plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    os.path.expanduser("~/.terraform.d/plugins"),
    os.path.expanduser("~/.local/share/terraform/plugins"),
]


def find_aws_mirror() -> tuple[str, str] | None:
    """(mirror root, provider version) of a local hashicorp/aws mirror, if any."""
    roots = [os.environ["TF_PROVIDER_MIRROR"]] if os.environ.get("TF_PROVIDER_MIRROR") else MIRROR_CANDIDATES
    for root in roots:
        binaries = sorted(
            glob.glob(os.path.join(root, "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))
        )
        if binaries:
            version = pathlib.Path(binaries[-1]).parent.parent.name
            return root, version
    return None


def require_terraform() -> tuple[str, str, str]:
    """(terraform binary, mirror root, aws provider version), or skip with the reason printed."""
    terraform = shutil.which("terraform")
    mirror = find_aws_mirror()
    reason = None
    if terraform is None:
        reason = "terraform is not on PATH"
    elif mirror is None:
        reason = f"no hashicorp/aws provider mirror found in {', '.join(MIRROR_CANDIDATES)} (set TF_PROVIDER_MIRROR)"
    if reason:
        skip(reason)
    return terraform, mirror[0], mirror[1]


def prepare(stack_file: pathlib.Path, workdir: pathlib.Path, aws_version: str, mirror: str) -> dict:
    """Copy a stack into `workdir` with its aws requirement set to the mirror's version.

    Returns the environment to run terraform with (CLI config: mirror only).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = json.loads(stack_file.read_text())
    config["terraform"]["required_providers"]["aws"]["version"] = aws_version
    (workdir / "cdk.tf.json").write_text(json.dumps(config, indent=1))
    rc = workdir / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n'
    )
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(rc),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(workdir / ".terraform"),
    }


def terraform(
    binary: str, workdir: pathlib.Path, env: dict, *args: str, timeout: int = 300
) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(line[:300] for line in text.splitlines()[-lines:])
