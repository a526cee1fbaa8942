"""The shared model cache's mount at boot, run in bash with stand-in mount tools; and the boot script that carries it."""

from __future__ import annotations

import pathlib
import subprocess

from constructs_lib.infra.aws.host_scripts import ModelCacheMount, mount_script
from constructs_lib.infra.host import MOUNT_MODEL_CACHE

STAND_INS = {
    # mountpoint: mounted once the mount stand-in has run; mount: fails `failures` times, then records its argument.
    "mountpoint": '#!/bin/bash\n[ -f "$STATE/mounted" ]\n',
    "mount": '#!/bin/bash\nn=$(cat "$STATE/failures" 2>/dev/null || echo 0)\n'
    'if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STATE/failures"; exit 32; fi\necho "$*" >> "$STATE/mount.log"; touch "$STATE/mounted"\n',
    "sleep": "#!/bin/bash\nexit 0\n",
    "mount.nfs4": "#!/bin/bash\nexit 0\n",  # the NFS client is there: nothing is installed
    "dnf": '#!/bin/bash\necho "dnf $*" >> "$STATE/install.log"\n',
}


def host(tmp_path: pathlib.Path, failures: int = 0) -> dict[str, str]:
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    (state / "failures").write_text(str(failures))
    for name, text in STAND_INS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "root" / "etc").mkdir(parents=True)
    return {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "ROOT": str(tmp_path / "root"),
        "STATE": str(state),
        "MODEL_CACHE_FS": "fs-0123456789abcdef0",
        "MODEL_CACHE_REGION": "us-west-2",
        "MODEL_CACHE_PATH": "/fsx/hf_cache",
    }


def run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(MOUNT_MODEL_CACHE)], env=env, capture_output=True, text=True, timeout=30)


def test_the_cache_is_mounted_over_nfs_where_the_runner_keeps_hf_home_once(tmp_path):
    env = host(tmp_path)
    for _ in range(2):  # safe to run again: one fstab line, one mount
        done = run(env)
        assert done.returncode == 0, done.stderr
    fstab = (tmp_path / "root" / "etc" / "fstab").read_text().splitlines()
    assert fstab == [
        "fs-0123456789abcdef0.efs.us-west-2.amazonaws.com:/ /fsx/hf_cache nfs4 "
        "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev 0 0"
    ]
    assert (tmp_path / "state" / "mount.log").read_text().splitlines() == ["/fsx/hf_cache"]
    assert (tmp_path / "root" / "fsx" / "hf_cache").stat().st_mode & 0o777 == 0o777


def test_mount_targets_that_answer_late_are_waited_for(tmp_path):
    env = host(tmp_path, failures=3)
    done = run(env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "state" / "mount.log").read_text().splitlines() == ["/fsx/hf_cache"]


def test_a_cache_that_never_answers_leaves_the_host_booting(tmp_path):
    env = host(tmp_path, failures=99)
    done = run(env)
    assert done.returncode == 0 and "could not be mounted" in done.stderr
    assert not (tmp_path / "state" / "mount.log").exists()


def test_the_boot_script_blocks_the_metadata_service_then_mounts():
    script = mount_script(ModelCacheMount("${aws_efs_file_system.fs.id}", "us-west-2", "/fsx/hf_cache"))
    block = script.index("DOCKER-USER -d 169.254.169.254/32 -j REJECT")
    variables = script.index(
        "export MODEL_CACHE_FS='${aws_efs_file_system.fs.id}' MODEL_CACHE_REGION='us-west-2' MODEL_CACHE_PATH='/fsx/hf_cache'"
    )
    assert block < variables < script.index('mount "$MODEL_CACHE_PATH"')
    assert "$${MODEL_CACHE_FS:?}" in script  # the scripts' own ${...} escaped for Terraform, the reference kept


def test_a_host_without_the_nfs_client_installs_it_first(tmp_path):
    env = host(tmp_path)
    (tmp_path / "bin" / "mount.nfs4").unlink()
    done = run(env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "state" / "install.log").read_text().splitlines() == ["dnf install -y nfs-utils"]
    assert (tmp_path / "state" / "mount.log").exists()
