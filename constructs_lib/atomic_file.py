"""Write a file whole or not at all: a temporary file beside it, then a rename.

Used where a half-written file would be read later as if it were whole: the
bootstrap's pipeline and summary, the slim-assembly cache.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Union


def write_atomically(path: Union[str, os.PathLike], data: Union[str, bytes]) -> None:
    target = os.path.abspath(os.fspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(target))
    try:
        binary = isinstance(data, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):  # a replaced file keeps its permissions (mkstemp's are 0600)
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
