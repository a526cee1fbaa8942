"""`python main.py` in a process of its own, as `make synth` runs it.

For the security gate, the benchmark and the tests, which synthesize in
subprocesses: the command, and the environment the Makefile also exports.
"""

from __future__ import annotations

import os
import pathlib
import sys
from typing import Union

REPO = pathlib.Path(__file__).resolve().parent.parent
# jsii warns about Node 20 at every start; the CDKTF CLI would send telemetry.
ENV = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CHECKPOINT_DISABLE": "1"}


def environment(**extra: str) -> dict[str, str]:
    """This process's environment with ENV, then `extra`, on top."""
    return {**os.environ, **ENV, **extra}


def command(queues: Union[str, os.PathLike[str]], outdir: Union[str, os.PathLike[str]]) -> list[str]:
    return [sys.executable, str(REPO / "main.py"), "--queues", str(queues), "--outdir", str(outdir)]
