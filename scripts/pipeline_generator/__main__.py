"""`python -m scripts.pipeline_generator`: the generator (`cli`) as one short-lived process.

Two process-wide settings, made here and not in `cli` because importing a
module must not change the process that imports it (the tests, for one):

- Pydantic scans every installed distribution for plugins before it builds
  its first model; the generator uses none.
- Importing pydantic and buildkite-sdk builds hundreds of thousands of
  objects, and the cyclic garbage collector walks them again and again
  while they are built, then once more at exit: about a tenth of the whole
  process. The process makes little cyclic garbage and ends within a second,
  so it runs without collections and freezes what it made before exiting.
"""

import gc
import os
import sys

gc.disable()
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from scripts.pipeline_generator import cli  # noqa: E402  (after the settings above)

status = cli.main()
gc.freeze()
sys.exit(status)
