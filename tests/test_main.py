"""`python main.py`: what an operator runs, end to end."""

from __future__ import annotations

import os
import pathlib

import pytest

from tests.conftest import PLANTED_SECRETS, REPO, run_synth


def all_files(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writes_one_file_per_stack_and_prints_the_table(tmp_path):
    outdir = tmp_path / "cdktf.out"
    result = run_synth(REPO / "queues.yaml", outdir)
    assert result.returncode == 0, result.stderr
    stacks = sorted(p.parent.name for p in outdir.glob("stacks/*/cdk.tf.json"))
    assert stacks == ["aws-state", "aws-us-east-1", "aws-us-west-2", "buildkite", "gcp-state", "gcp-tpu"]
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["queue", "hosting", "stack", "instance", "types", "min/max"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip() and not line.startswith(" ")}
    assert rows["gpu_1_queue"] == [
        "gpu_1_queue",
        "aws",
        "us-west-2",
        "aws-us-west-2/bk-gpu-1-queue",
        "g6.4xlarge",
        "0/208",
    ]
    assert rows["cpu_queue_premerge_us_east_1"][:4] == [
        "cpu_queue_premerge_us_east_1",
        "aws",
        "us-east-1",
        "aws-us-east-1/bk-cpu-queue-premerge-us-east-1",
    ]
    assert rows["arm64_cpu_queue_postmerge"][-2:] == ["r7g.16xlarge", "0/10"]
    assert rows["mithril-h100-pool"][:2] == ["mithril-h100-pool", "kubernetes"] and rows["h200_18gb"][1] == "external"


def test_two_synths_are_byte_identical_and_hold_no_planted_secret(tmp_path, default_synth):
    again = tmp_path / "again"
    # Different planted values this time: the output must not depend on them at all.
    other = {name: value.replace("planted", "second") for name, value in PLANTED_SECRETS.items()}
    result = run_synth(REPO / "queues.yaml", again, extra_env=other)
    assert result.returncode == 0, result.stderr
    first, second = all_files(default_synth), all_files(again)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name
    for name, content in first.items():
        for secret in [*PLANTED_SECRETS.values(), *other.values()]:
            assert secret.encode() not in content, f"{secret} leaked into {name}"


def test_bad_input_exits_2_with_one_line_per_problem_and_leaves_output_alone(tmp_path):
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    (outdir / "keep.txt").write_text("previous synth")
    bad = tmp_path / "queues.yaml"
    bad.write_text(
        (REPO / "queues.yaml")
        .read_text()
        .replace("max_size: 208", "max_size: -208")
        .replace("min_size: 0\n", "min_sise: 0\n", 1)
    )
    result = run_synth(bad, outdir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith(f"{bad}:") for line in lines)
    assert any("queues.gpu_1_queue.aws.max_size: must be >= 0 (got -208)" in line for line in lines)
    assert any("queues.bootstrap.aws.min_sise: unknown key (did you mean 'min_size'?)" in line for line in lines)
    assert [p.name for p in outdir.iterdir()] == ["keep.txt"]
    assert result.stdout == ""


def test_missing_queues_file_is_one_line(tmp_path):
    result = run_synth(tmp_path / "nope.yaml", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory"
    assert not (tmp_path / "out").exists()


def _checkout_copy(tmp_path: pathlib.Path) -> pathlib.Path:
    """A stand-in checkout (main.py, the package, a .git folder): refusal is tested on it, never on this one."""
    import shutil

    copy = tmp_path / "checkout"
    copy.mkdir()
    shutil.copy2(REPO / "main.py", copy / "main.py")
    shutil.copy2(REPO / "queues.yaml", copy / "queues.yaml")
    shutil.copytree(REPO / "constructs_lib", copy / "constructs_lib", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / ".git").mkdir()
    (copy / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return copy


def _tree(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _main_in(folder: pathlib.Path, *args: str):
    import subprocess
    import sys

    from scripts import synth_process

    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=folder,
        env=synth_process.environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_outdir_naming_the_checkout_or_a_parent_refuses_and_touches_nothing(tmp_path):
    checkout = _checkout_copy(tmp_path)
    (tmp_path / "beside.txt").write_text("a neighbour's file")
    before, around = _tree(checkout), _tree(tmp_path)
    for outdir in (".", str(checkout), "..", str(tmp_path), "/"):
        result = _main_in(checkout, "--outdir", outdir)
        assert result.returncode == 2, (outdir, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("--outdir: "), result.stderr
        assert "Traceback" not in result.stderr
    assert _tree(checkout) == before and _tree(tmp_path) == around


def test_outdir_naming_a_file_or_someone_elses_folder_refuses(tmp_path):
    checkout = _checkout_copy(tmp_path)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "data.csv").write_text("1,2\n")
    for outdir, words in ((a_file, "is not a folder"), (theirs, "is not an earlier synth output")):
        result = _main_in(checkout, "--outdir", str(outdir))
        assert result.returncode == 2
        assert result.stderr == f"--outdir: {outdir} {words}" + result.stderr.split(words, 1)[1]
    assert a_file.read_text() == "keep me" and (theirs / "data.csv").read_text() == "1,2\n"


def test_a_second_synth_replaces_the_first_and_leaves_nothing_beside_it(tmp_path, default_synth):
    outdir = tmp_path / "cdktf.out"
    for _ in range(2):
        result = run_synth(REPO / "queues.yaml", outdir)
        assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]
    assert all_files(outdir) == all_files(default_synth)


def test_the_same_file_gives_the_same_bytes_from_another_folder(tmp_path, default_synth):
    import subprocess
    import sys

    from scripts import synth_process

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = synth_process.environment(PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--queues", str(REPO / "queues.yaml"), "--outdir", "out"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert all_files(elsewhere / "out") == all_files(default_synth)


def test_an_interrupted_synth_is_one_line_and_leaves_the_output(tmp_path, monkeypatch, capsys):
    import constructs_lib.infra.app
    import main

    def interrupted(model, outdir):
        raise KeyboardInterrupt

    monkeypatch.setattr(constructs_lib.infra.app, "synth", interrupted)
    monkeypatch.setattr(
        "sys.argv", ["main.py", "--queues", str(REPO / "queues.yaml"), "--outdir", str(tmp_path / "out")]
    )
    assert main.main() == 130
    err = capsys.readouterr().err  # (jsii may have warned about node before, when make does not silence it)
    assert err.splitlines()[-1] == "interrupted; the output folder is as it was" and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_full_disk_during_synth_is_one_line_and_leaves_nothing(tmp_path):
    import shutil
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    mounted = (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(small)], capture_output=True, text=True)
        if shutil.which("mount")
        else None
    )
    if mounted is None or mounted.returncode != 0:
        pytest.skip("a small tmpfs cannot be mounted here (needs root); the full-disk path is not exercised")
    try:
        result = _main_in(REPO, "--outdir", str(small / "out"))
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines()[-1] == f"{small / 'out'}: cannot write: no space left on device", (
            result.stderr
        )
        assert "Traceback" not in result.stderr
        assert os.listdir(small) == []
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_an_outdir_through_a_loop_of_symbolic_links_is_one_line(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    result = _main_in(REPO, "--outdir", str(tmp_path / "a" / "out"))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"--outdir: {tmp_path / 'a' / 'out'} cannot be resolved: it goes through a loop of symbolic links"
    )
