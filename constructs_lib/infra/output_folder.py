"""The synth's output folder: refused unless it is ours, replaced in one step.

`python main.py --outdir DIR` replaces DIR whole. That is only safe when DIR
is absent, empty, or an earlier synth output (cdktf's own layout: a
`manifest.json` and a `stacks` folder, nothing else); anything else (a checkout, a home folder, a file,
a folder of someone else's files) is refused before anything is touched.

The new tree is built in a staging folder beside DIR and exchanged with the
old one by `renameat2(RENAME_EXCHANGE)`, so that no signal can leave DIR
missing; where the kernel or file system lacks it, two renames do (and the
next run puts a stranded tree back). Staging and retired folders carry the
toolkit's marker file and are flocked by the run that made them: a later run
removes marked ones whose run is gone, never one that is still building, and
never a folder of the same name that the toolkit did not make. Pure Python;
no cdktf.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import pathlib
import shutil
import tempfile
from typing import Iterable, Iterator, Optional

from constructs_lib.queues.problems import LoadError, Problem

# The file that says a staging or retired folder (and the output made from one) is the toolkit's.
MARKER = ".buildkite-ci-toolkit-output"
# What cdktf writes at the top of its output folder, and the marker.
CDKTF_ENTRIES = frozenset({"manifest.json", "stacks", MARKER})


def refusal(target: pathlib.Path, protected: Iterable[pathlib.Path]) -> Optional[str]:
    """Why `target` may not be replaced, or None when it may.

    `protected` are folders that must survive (the checkout, the current
    folder, the home folder): neither they nor a parent of theirs is ever an
    output folder.
    """
    try:
        resolved = target.resolve()
    except (RuntimeError, OSError):  # a loop of symbolic links (Python 3.11 raises RuntimeError)
        return f"{target} cannot be resolved: it goes through a loop of symbolic links"
    for folder in protected:
        folder = folder.resolve()
        if resolved == folder or resolved in folder.parents:
            return f"{target} holds {folder}; choose a folder of its own such as cdktf.out"
    if target.is_symlink():
        return f"{target} is a symbolic link; name the folder itself"
    if not target.exists():
        return None
    if not target.is_dir():
        return f"{target} is not a folder; it is left as it is"
    try:
        entries = set(os.listdir(target))
    except OSError as err:
        return f"{target} cannot be read: {err.strerror}"
    if not entries:
        return None
    if (
        entries <= CDKTF_ENTRIES
        and "manifest.json" in entries
        and _is_manifest(target / "manifest.json")
        and (target / "stacks").is_dir()
    ):
        return None
    shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
    return f"{target} is not an earlier synth output (it holds {shown}); it is left as it is"


def _is_manifest(path: pathlib.Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "stacks" in data and "version" in data


def check(target: pathlib.Path, protected: Iterable[pathlib.Path], option: str = "--outdir") -> None:
    reason = refusal(target, protected)
    if reason is not None:
        raise LoadError([Problem(option, 0, "", reason)])


@contextlib.contextmanager
def staged(target: pathlib.Path) -> Iterator[pathlib.Path]:
    """A locked, empty staging folder beside `target`; `commit` swaps it in.

    Leaving the block without `commit` (an exception, a signal) removes the
    staging folder and leaves `target` as it was.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _restore_stranded(target)
    _remove_abandoned(target)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _mark(staging)
        staging.chmod(0o755)
        yield staging
    finally:
        os.close(fd)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def commit(staging: pathlib.Path, target: pathlib.Path) -> None:
    """Put the staged tree at `target` and remove the old one."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now the old tree
        return
    retired = pathlib.Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    _mark(retired)
    os.replace(target, retired / "out")
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: pathlib.Path, b: pathlib.Path) -> bool:
    """Swap two paths atomically; False where the kernel or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _leftovers(target: pathlib.Path, kind: str) -> list[pathlib.Path]:
    prefix = f".{target.name}.{kind}-"
    try:
        names = sorted(n for n in os.listdir(target.parent) if n.startswith(prefix))
    except OSError:
        return []
    folders = [target.parent / n for n in names]
    # Only the toolkit's own: a folder of that name without the marker is someone else's.
    return [
        f
        for f in folders
        if f.is_dir() and not f.is_symlink() and (f / MARKER).is_file() and not (f / MARKER).is_symlink()
    ]


def _mark(folder: pathlib.Path) -> None:
    (folder / MARKER).write_text(
        "made by buildkite-ci-toolkit (python main.py); removed by its next run\n", encoding="utf-8"
    )


def _unused(folder: pathlib.Path) -> bool:
    """True when no running synth holds the folder's lock."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _remove_abandoned(target: pathlib.Path) -> None:
    for folder in _leftovers(target, "new") + _leftovers(target, "old"):
        if _unused(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _restore_stranded(target: pathlib.Path) -> None:
    """An old tree that a kill left between the two fallback renames goes back."""
    if target.exists() or target.is_symlink():
        return
    for folder in reversed(_leftovers(target, "old")):
        tree = folder / "out"
        if tree.is_dir():
            with contextlib.suppress(OSError):
                os.rename(tree, target)
                return
