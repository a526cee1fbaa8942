"""Containers reach no instance metadata service: the host rule, run in bash with a stand-in iptables."""

from __future__ import annotations

import pathlib
import re
import subprocess

from constructs_lib.infra.gcp import startup_script

RULE_SCRIPT = startup_script.BLOCK_CONTAINER_METADATA
REPO = pathlib.Path(__file__).resolve().parents[4]

IPTABLES = """\
#!/bin/bash
# A stand-in iptables: chains and rules kept as lines of a file.
state={state}
[ "$1" = -w ] && shift
op=$1; shift
case $op in
  -N) grep -qxF "chain $1" "$state" 2>/dev/null && exit 1; echo "chain $1" >> "$state" ;;
  -C) grep -qxF "rule $*" "$state" 2>/dev/null ;;
  -I) grep -qxF "chain $1" "$state" || exit 1; echo "rule $*" >> "$state" ;;
  *) exit 2 ;;
esac
"""


def _host(tmp_path: pathlib.Path) -> tuple[dict[str, str], pathlib.Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    state = tmp_path / "iptables.state"
    (bin_dir / "iptables").write_text(IPTABLES.format(state=state))
    (bin_dir / "systemctl").write_text("#!/bin/bash\nexit 0\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "ROOT": str(tmp_path / "root")}, state


def _rules(state: pathlib.Path) -> list[str]:
    return [line for line in state.read_text().splitlines() if line.startswith("rule ")]


RULES = ["rule DOCKER-USER -d 169.254.169.254/32 -j REJECT", "rule DOCKER-USER -p tcp --dport 2049 -j REJECT"]


def test_containers_are_rejected_on_the_way_to_the_metadata_service_and_to_nfs_once(tmp_path):
    # NFS: the model cache's file system takes NFS from the agents' security group, and a container's
    # packets leave with its host's address; a fork's user-space NFS client would write past its read-only volume.
    env, state = _host(tmp_path)
    for _ in range(2):  # safe to run again: each rule once
        subprocess.run(["bash", str(RULE_SCRIPT)], env=env, check=True, capture_output=True)
    assert _rules(state) == RULES


def test_docker_restarts_put_the_rule_back(tmp_path):
    env, state = _host(tmp_path)
    subprocess.run(["bash", str(RULE_SCRIPT)], env=env, check=True, capture_output=True)
    drop_in = tmp_path / "root" / "etc/systemd/system/docker.service.d/50-block-container-metadata.conf"
    (command,) = re.findall(r"^ExecStartPost=/bin/sh -c '(.*)'$", drop_in.read_text(), re.MULTILINE)
    state.unlink()  # docker rebuilt its chains
    for _ in range(2):
        subprocess.run(["sh", "-c", command], env=env, check=True)
    assert _rules(state) == RULES


def test_every_host_the_toolkit_boots_carries_the_rule():
    rule = RULE_SCRIPT.read_text().rstrip("\n")
    boot = startup_script.render(
        startup_script.AgentBoot("p", "tpu_queue", "tpu-1", "us-central2-b", "v4-8", "vm", "tok", "hf")
    )
    assert rule in boot and "block_container_metadata\n  configure_agent" in boot
    assert "\nRULE\n" not in "\n" + rule + "\n"  # the heredoc that carries it ends only where it should
    install = (REPO / "scripts" / "ami" / "install-nvidia.sh").read_text()
    template = (REPO / "scripts" / "ami" / "ci-images.pkr.hcl").read_text()
    assert 'bash "$BLOCK_METADATA_SOURCE"' in install and "block-container-metadata.sh" in template
