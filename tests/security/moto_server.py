"""A moto server (the AWS API emulator) on 127.0.0.1 at a free port, for as long as a `with` block lasts."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Iterator

# The server is the moto[server] entry point of this interpreter's environment.
SERVER = "from moto.server import main; main()"
START_ATTEMPTS = 300  # polls, 0.1 s apart: a bound on the wait, not a timing being tested


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@contextlib.contextmanager
def moto_server(log_path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (endpoint URL, process); stops the server on exit, whatever happened inside."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            for _ in range(START_ATTEMPTS):
                if process.poll() is not None:
                    raise RuntimeError(f"moto server exited with status {process.returncode}; see {log_path}")
                if is_up(url):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"moto server did not answer on {url}; see {log_path}")
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
