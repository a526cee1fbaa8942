"""A file is written whole or not at all, and a replaced file keeps its permissions."""

from __future__ import annotations

import os
import stat

import pytest

from constructs_lib.atomic_file import NotAFile, check_writable, write_atomically


def test_writes_text_and_bytes(tmp_path):
    write_atomically(tmp_path / "a.txt", "caf\u00e9\n")
    write_atomically(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "caf\u00e9\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"


def test_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.yaml"
    target.write_text("old")
    with pytest.raises(TypeError):  # fails while writing the temporary file
        write_atomically(str(target), object())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


@pytest.mark.parametrize("mode", [0o644, 0o755, 0o600])
def test_a_replaced_file_keeps_its_mode(tmp_path, mode):
    target = tmp_path / "README.md"
    target.write_text("old")
    os.chmod(target, mode)
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == mode


def test_a_character_device_is_written_in_place_never_replaced(tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot make a device node here (needs CAP_MKNOD)")
    write_atomically(device, "discarded\n")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    write_atomically("/dev/null", "discarded\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_fifo_is_written_in_place(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    write_atomically(fifo, "through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_through_a_symbolic_link_the_target_is_replaced_and_the_link_stays(tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize(
    "setup, error",
    [
        (lambda p: p.mkdir(), NotAFile),
        (lambda p: None, FileNotFoundError),
    ],
)
def test_a_folder_or_a_missing_folder_is_refused_before_anything_is_written(tmp_path, setup, error):
    target = (
        tmp_path / "out"
        if setup(tmp_path / "out") is None and (tmp_path / "out").exists()
        else tmp_path / "missing" / "out"
    )
    with pytest.raises(error):
        check_writable(target)
    with pytest.raises(error):
        write_atomically(target, "x")
