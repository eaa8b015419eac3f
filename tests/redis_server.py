"""A private redis-server for the quota store's tests (Debian's package)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest


def start_redis() -> tuple[subprocess.Popen, str]:
    """A private redis-server (Debian's package) on a free port, nothing saved to disk; no
    redis-server is a failure that says so, never a skip."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server): the "
                    "quota store's tests run against a real Redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"redis-server did not listen on port {port} within 10 s")

