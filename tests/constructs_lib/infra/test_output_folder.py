"""The synth's output folder: only ours is replaced, in one step, and leftovers of killed runs go."""

from __future__ import annotations

import fcntl
import json
import os
import pathlib

import pytest

from constructs_lib.infra import output_folder
from constructs_lib.queues.problems import LoadError


def cdktf_tree(folder: pathlib.Path, content: str = "old") -> pathlib.Path:
    (folder / "stacks" / "a").mkdir(parents=True)
    (folder / "stacks" / "a" / "cdk.tf.json").write_text(content)
    (folder / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": {}}))
    return folder


def test_absent_empty_and_earlier_output_may_be_replaced(tmp_path):
    assert output_folder.refusal(tmp_path / "absent", []) is None
    (tmp_path / "empty").mkdir()
    assert output_folder.refusal(tmp_path / "empty", []) is None
    assert output_folder.refusal(cdktf_tree(tmp_path / "out"), []) is None


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p.write_text("data"), "is not a folder"),
        (
            lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")),
            "is not an earlier synth output (it holds notes.txt)",
        ),
        (lambda p: (cdktf_tree(p), (p / ".git").mkdir()), "is not an earlier synth output"),
        (
            lambda p: (p.mkdir(), (p / "manifest.json").write_text("not json"), (p / "stacks").mkdir()),
            "is not an earlier synth output",
        ),
    ],
)
def test_anything_else_is_refused(tmp_path, make, words):
    target = tmp_path / "target"
    make(target)
    reason = output_folder.refusal(target, [])
    assert reason is not None and words in reason


def test_a_protected_folder_and_its_parents_are_refused(tmp_path):
    checkout = tmp_path / "home" / "me" / "checkout"
    checkout.mkdir(parents=True)
    for target in (checkout, checkout.parent, tmp_path, pathlib.Path("/")):
        assert "holds" in output_folder.refusal(target, [checkout])
    assert output_folder.refusal(checkout / "cdktf.out", [checkout]) is None


def test_a_symbolic_link_is_refused(tmp_path):
    real = cdktf_tree(tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    assert "symbolic link" in output_folder.refusal(tmp_path / "link", [])


def test_check_raises_one_problem_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LoadError) as err:
        output_folder.check(tmp_path / "file", [])
    assert [str(p) for p in err.value.problems] == [
        f"--outdir: {tmp_path / 'file'} is not a folder; it is left as it is"
    ]


def test_commit_swaps_the_new_tree_in_and_leaves_nothing_beside_it(tmp_path):
    target = cdktf_tree(tmp_path / "cdktf.out", "old")
    with output_folder.staged(target) as staging:
        cdktf_tree(staging, "new")
        output_folder.commit(staging, target)
    assert (target / "stacks" / "a" / "cdk.tf.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]


def test_a_failure_before_commit_leaves_the_old_tree(tmp_path):
    target = cdktf_tree(tmp_path / "cdktf.out", "old")
    with pytest.raises(RuntimeError):
        with output_folder.staged(target) as staging:
            cdktf_tree(staging, "new")
            raise RuntimeError("synth failed")
    assert (target / "stacks" / "a" / "cdk.tf.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]


def test_the_exchange_is_one_step(tmp_path, monkeypatch):
    """With RENAME_EXCHANGE there is never a moment without the target: no second rename happens."""
    target = cdktf_tree(tmp_path / "cdktf.out", "old")
    renames = []
    monkeypatch.setattr(output_folder.os, "replace", lambda *a: renames.append(a))
    with output_folder.staged(target) as staging:
        cdktf_tree(staging, "new")
        output_folder.commit(staging, target)
    assert renames == []
    assert (target / "stacks" / "a" / "cdk.tf.json").read_text() == "new"


def test_leftovers_of_killed_runs_are_removed_but_not_a_running_ones(tmp_path):
    target = cdktf_tree(tmp_path / "cdktf.out", "old")
    dead = tmp_path / ".cdktf.out.new-dead"
    dead.mkdir()
    old = tmp_path / ".cdktf.out.old-dead"
    (old / "out").mkdir(parents=True)
    running = tmp_path / ".cdktf.out.new-running"
    running.mkdir()
    for folder in (dead, old, running):
        (folder / output_folder.MARKER).write_text("made by an earlier run")
    fd = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a synth that is still building holds it
    try:
        with output_folder.staged(target) as staging:
            cdktf_tree(staging, "new")
            output_folder.commit(staging, target)
    finally:
        os.close(fd)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cdktf.out.new-running", "cdktf.out"]


def test_folders_named_like_leftovers_but_not_made_by_the_toolkit_are_left_alone(tmp_path):
    target = cdktf_tree(tmp_path / "cdktf.out", "old")
    theirs = {}
    for name in (".cdktf.out.new-theirs", ".cdktf.out.old-theirs"):
        folder = tmp_path / name
        (folder / "out").mkdir(parents=True)
        (folder / "out" / "notes.txt").write_text("keep me")
        theirs[name] = folder
    linked = tmp_path / ".cdktf.out.new-linked"
    linked.mkdir()
    (linked / output_folder.MARKER).symlink_to(
        tmp_path / "cdktf.out" / "manifest.json"
    )  # a marker must be a file of its own
    with output_folder.staged(target) as staging:
        cdktf_tree(staging, "new")
        output_folder.commit(staging, target)
    assert all((folder / "out" / "notes.txt").read_text() == "keep me" for folder in theirs.values())
    assert linked.is_dir()
    assert (target / "stacks" / "a" / "cdk.tf.json").read_text() == "new"


def test_an_output_folder_carries_the_marker_and_is_still_replaceable(tmp_path):
    target = tmp_path / "cdktf.out"
    with output_folder.staged(target) as staging:
        cdktf_tree(staging, "new")
        output_folder.commit(staging, target)
    assert (target / output_folder.MARKER).is_file()
    assert output_folder.refusal(target, []) is None
    (target / "manifest.json").unlink()
    assert output_folder.refusal(target, []) is not None  # the marker alone is not an output


def test_a_loop_of_symbolic_links_is_refused(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for target in (tmp_path / "a", tmp_path / "a" / "out"):
        assert "loop of symbolic links" in output_folder.refusal(target, [])


def test_a_tree_stranded_between_two_renames_is_put_back(tmp_path):
    stranded = tmp_path / ".cdktf.out.old-killed" / "out"
    cdktf_tree(stranded.parent / "out", "previous")
    (stranded.parent / output_folder.MARKER).write_text("made by an earlier run")
    target = tmp_path / "cdktf.out"
    with pytest.raises(RuntimeError):
        with output_folder.staged(target):
            raise RuntimeError("this synth fails too")
    assert (target / "stacks" / "a" / "cdk.tf.json").read_text() == "previous"
