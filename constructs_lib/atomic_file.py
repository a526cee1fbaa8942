"""Write a file whole or not at all: a temporary file beside it, then a rename.

Used where a half-written file would be read later as if it were whole: the
bootstrap's pipeline and summary, the slim-assembly cache.

Only a regular file or an absent path is renamed over. A character device or
a FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written directly: renaming over
it as root would replace the machine's device with a file. Through a symbolic
link the link's target is replaced and the link stays. A folder is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import Iterator, Optional, Sequence, Union

Data = Union[str, bytes]


class NotAFile(OSError):
    """The path names something that is not written to: a folder, a socket, a block device."""


def _target(path: Union[str, os.PathLike[str]]) -> tuple[str, bool]:
    """The path written (a symbolic link's final target, absolute) and whether it is a stream.

    Raises OSError (NotAFile, FileNotFoundError, PermissionError) unless it can
    be written: a regular file or absent in a writable folder, or a writable
    character device or FIFO. Touches nothing, so that a caller writing several
    files can refuse before writing the first.
    """
    target = os.path.realpath(os.fspath(path))
    try:
        mode: Optional[int] = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        if not os.access(target, os.W_OK):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return target, True
    if mode is not None and not stat.S_ISREG(mode):
        raise NotAFile(0, f"is {'a folder' if stat.S_ISDIR(mode) else 'not a regular file'}", os.fspath(path))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "its folder does not exist", os.fspath(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(13, "its folder is not writable", os.fspath(path))
    return target, False


def check_writable(path: Union[str, os.PathLike[str]]) -> None:
    """Raise OSError unless `path` can be written (see _target)."""
    _target(path)


def write_atomically(path: Union[str, os.PathLike[str]], data: Data) -> None:
    write_all([(path, data)])


def write_all(outputs: Sequence[tuple[Union[str, os.PathLike[str]], Data]]) -> None:
    """Write several files all or none: each regular file to a temporary file
    first, then the devices and FIFOs, then every rename. A failure before the
    renames leaves every regular file as it was."""
    targets = [(path, *_target(path), data) for path, data in outputs]
    pending: list[tuple[str, str]] = []
    try:
        for path, target, stream, data in targets:
            if not stream:
                with _naming(path):
                    pending.append((_temporary_copy(target, data), target))
        for path, target, stream, data in targets:
            if stream:
                with _naming(path), open(target, "wb") as fh:
                    fh.write(_bytes(data))
        for temporary, target in pending:
            os.replace(temporary, target)
    except BaseException:
        for temporary, _ in pending:
            if os.path.exists(temporary):
                os.unlink(temporary)
        raise


def _bytes(data: Data) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes):
        return data
    raise TypeError(f"can write str or bytes, not {type(data).__name__}")


@contextlib.contextmanager
def _naming(path: Union[str, os.PathLike[str]]) -> Iterator[None]:
    """An OSError from writing (a full disk says ENOSPC without a file name) names the output."""
    try:
        yield
    except OSError as err:
        if err.filename is None:
            raise OSError(err.errno, err.strerror, os.fspath(path)) from None
        raise


def _temporary_copy(target: str, data: Data) -> str:
    """`data` in a temporary file beside `target`, with the mode of the file it will replace."""
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_bytes(data))
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):  # a replaced file keeps its permissions (mkstemp's are 0600)
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary
