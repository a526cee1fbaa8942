"""A file is written whole or not at all, and a replaced file keeps its permissions."""

from __future__ import annotations

import os
import stat

import pytest

from constructs_lib.atomic_file import write_atomically


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
