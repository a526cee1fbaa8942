"""Reads every file of a hostile corpus in one process with bounded memory and time.

    python -m tests.hostile.driver queues FILE...     (the queues.yaml loader)
    python -m tests.hostile.driver steps QUEUES FILE...  (the bootstrap generator's command line)

Prints one JSON line per file: its exit status (2 for refused, 0 for
accepted, "memory", "time" or "crash" for what must never happen) and the
lines it printed on stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import signal
import sys
import traceback

MEMORY_BYTES = 2 * 1024**3  # the whole process, imports included
SECONDS_PER_FILE = 20


class _TimeUp(BaseException):
    pass


def _alarm(signum, frame):
    raise _TimeUp()


def _queues(path: str) -> tuple[int, list[str]]:
    from constructs_lib.queues.loader import load_queues
    from constructs_lib.queues.problems import LoadError

    try:
        load_queues(path)
    except LoadError as err:
        return 2, [str(p) for p in err.problems]
    return 0, []


def _steps(queues: str, path: str) -> tuple[int, list[str]]:
    from constructs_lib.bootstrap.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["--pipeline", path, "--queues", queues, "--output", "/dev/null", "--run-all"])
    return status, err.getvalue().splitlines()


def main(argv: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGALRM, _alarm)
    kind, rest = argv[0], argv[1:]
    if kind == "steps":
        queues, files = rest[0], rest[1:]
        read = lambda path: _steps(queues, path)  # noqa: E731
    else:
        files, read = rest, _queues
    for path in files:
        signal.alarm(SECONDS_PER_FILE)
        try:
            status, lines = read(path)
        except MemoryError:
            status, lines = "memory", []
        except _TimeUp:
            status, lines = "time", []
        except Exception:  # a traceback is a finding of its own
            status, lines = "crash", traceback.format_exc().splitlines()
        finally:
            signal.alarm(0)
        print(json.dumps({"file": path, "status": status, "lines": lines}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
