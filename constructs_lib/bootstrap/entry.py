"""`ci-bootstrap` (and `python -m constructs_lib.bootstrap`): the generator as one short-lived process.

Two process-wide settings, made here and not in `cli` because importing a
module must not change the process that imports it (the tests, for one):

- Pydantic scans every installed distribution for plugins before it builds
  its first model; the generator uses none.
- Importing pydantic builds hundreds of thousands of objects, and the cyclic
  garbage collector walks them again and again while they are built, then
  once more at exit. The process makes little cyclic garbage and ends within
  a second, so it runs without collections and freezes what it made before
  exiting.
"""

from __future__ import annotations

import gc
import os


def main() -> int:
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from constructs_lib.bootstrap import cli  # after the settings above

    status = cli.main()
    gc.freeze()
    return status
