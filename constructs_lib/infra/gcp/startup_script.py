"""The boot script of a TPU agent, rendered from the templates in `startup/`.

Pure: no cdktf. The templates are shell files in the repository (checked by
shellcheck in the tests); `@@NAME@@` words in them become shell-quoted
values. Only names are rendered (queue, TPU, zone, project, secret names, the
pinned key fingerprint), never a token: the script reads the tokens from
Secret Manager at boot. Each value must match SAFE_VALUE, so nothing rendered
can carry quotes, spaces or expansions.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
import re
import shlex

from constructs_lib.infra.host import BLOCK_CONTAINER_METADATA, for_terraform
from constructs_lib.queues import trust
from constructs_lib.queues.gcp_names import DATA_DEVICE

TEMPLATE_DIR = pathlib.Path(__file__).resolve().parent / "startup"
AGENT_TEMPLATE = TEMPLATE_DIR / "buildkite-agent.sh"
HOOK_TEMPLATE = TEMPLATE_DIR / "environment-hook.sh"

# Buildkite's apt repository signing key (docs: "Installing Buildkite Agent on Debian").
BUILDKITE_KEY_FINGERPRINT = "32A37959C2FA5C3C99EFBC32A79206696452D198"
HF_TOKEN_FILE = "/etc/buildkite-agent/secrets/hf-token"
VERIFICATION_JWKS_FILE = "/etc/buildkite-agent/verification-jwks.json"
# Where the data disk shows up: the agent host attaches it under a device name;
# a TPU VM attaches it as its second disk (SCSI or NVMe, by generation).
HOST_DATA_DISKS = (f"/dev/disk/by-id/google-{DATA_DEVICE}",)
TPU_VM_DATA_DISKS = ("/dev/disk/by-id/google-persistent-disk-1", "/dev/nvme0n2", "/dev/sdb")

# Values a boot script may be given empty (a feature that is off).
OPTIONAL_VALUES = frozenset({"VERIFICATION_JWKS_SECRET", "VERIFICATION_FAILURE"})
SAFE_VALUE = re.compile(r"^[A-Za-z0-9/][A-Za-z0-9._/:@+=-]*$")
PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


@dataclasses.dataclass(frozen=True)
class AgentBoot:
    """What one agent's boot script needs to know: names only."""

    project: str
    queue: str
    tpu_name: str  # also the agent's name
    tpu_zone: str
    accelerator_type: str
    architecture: str
    agent_token_secret: str
    hf_token_secret: str
    # Signed pipelines: the secret holding the public JWKS, and warn or block; empty when nothing is signed.
    verification_jwks_secret: str = ""
    verification_failure: str = ""

    @property
    def data_disks(self) -> tuple[str, ...]:
        return HOST_DATA_DISKS if self.architecture == "node" else TPU_VM_DATA_DISKS


def _quote(name: str, value: str) -> str:
    if value == "" and name in OPTIONAL_VALUES:
        return "''"
    if not SAFE_VALUE.match(value):
        raise ValueError(f"{name}={value!r} cannot be rendered into a boot script")
    return shlex.quote(value)


def _fill(template: str, values: dict[str, str]) -> str:
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@functools.cache  # read once per process, not once per TPU
def _template(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def environment_hook() -> str:
    # The one rule of trusted builds is carried whole: the hook runs on a host without the toolkit.
    values = {
        "HF_TOKEN_FILE": _quote("HF_TOKEN_FILE", HF_TOKEN_FILE),
        "TRUST_DEFINITION": trust.shell_definition().rstrip("\n"),
    }
    hook = _fill(_template(HOOK_TEMPLATE), values)
    if "\nHOOK\n" in "\n" + hook.rstrip("\n") + "\n":
        raise ValueError("the environment hook must not contain the heredoc terminator HOOK")
    return hook


def render(boot: AgentBoot) -> str:
    """The boot script as the machine runs it."""
    plain = {
        "PROJECT": boot.project,
        "QUEUE": boot.queue,
        "AGENT_NAME": boot.tpu_name,
        "TPU_NAME": boot.tpu_name,
        "TPU_ZONE": boot.tpu_zone,
        "TPU_ACCELERATOR_TYPE": boot.accelerator_type,
        "TPU_ARCHITECTURE": boot.architecture,
        "AGENT_TOKEN_SECRET": boot.agent_token_secret,
        "HF_TOKEN_SECRET": boot.hf_token_secret,
        "HF_TOKEN_FILE": HF_TOKEN_FILE,
        "VERIFICATION_JWKS_SECRET": boot.verification_jwks_secret,
        "VERIFICATION_FAILURE": boot.verification_failure,
        "VERIFICATION_JWKS_FILE": VERIFICATION_JWKS_FILE,
        "BUILDKITE_KEY_FINGERPRINT": BUILDKITE_KEY_FINGERPRINT,
    }
    values = {key: _quote(key, value) for key, value in plain.items()}
    values["DATA_DISKS"] = " ".join(_quote("DATA_DISKS", d) for d in boot.data_disks)
    values["ENVIRONMENT_HOOK"] = environment_hook().rstrip("\n")
    values["BLOCK_CONTAINER_METADATA"] = _template(BLOCK_CONTAINER_METADATA).rstrip("\n")
    return _fill(_template(AGENT_TEMPLATE), values)


def instance_metadata(boot: AgentBoot, **extra: str) -> dict[str, str]:
    """Metadata of a machine that runs an agent: the boot script, OS Login, no project SSH keys.

    `extra` carries further non-secret attributes (e.g. a TPU Node's address).
    """
    return {
        "startup-script": for_terraform(render(boot)),
        "enable-oslogin": "TRUE",
        "block-project-ssh-keys": "TRUE",
        "serial-port-enable": "FALSE",
        **extra,
    }
