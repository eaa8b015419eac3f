"""State shared by every xdist worker of a run: small JSON files under one exclusive lock,
and files written whole (`write_atomic`) for readers that may look at any moment.

xdist workers are processes on one machine, so a file lock is the simplest exact shared
counter: the controller (or a plain run) creates the run's folder and hands its path to
the workers (`pytest_configure_node`); every read-modify-write holds the file's lock.
Across machines a file shares nothing (each shard has its own folder): the quota's state
goes to Redis there (`redis_store`), behind the same `open` and `now`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process's threads only
    fcntl = None  # type: ignore[assignment]

_THREADS = threading.Lock()  # the async agent's and a test's own threads, in one process


@contextlib.contextmanager
def locked(path: Path) -> Iterator[dict[str, Any]]:
    """The file's JSON object, to read and change; written back when the block ends."""
    with _THREADS, open(path, "a+", encoding="utf-8") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        try:
            state = json.loads(handle.read() or "{}")
        except ValueError:
            state = {}
        before = dict(state)
        yield state
        if state != before:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))
            handle.flush()


def read(path: Path) -> dict[str, Any]:
    """The file's JSON object without a lock (for reporting), empty when absent or torn."""
    with contextlib.suppress(OSError, ValueError):
        value = json.loads(path.read_text(encoding="utf-8") or "{}")
        return value if isinstance(value, dict) else {}
    return {}


class Store:
    """One JSON object: in a file when several processes share it, else in this process."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()

    @staticmethod
    def now() -> float:
        """The time a change is made at: this machine's (one machine, one clock)."""
        return time.time()

    @contextlib.contextmanager
    def open(self) -> Iterator[dict[str, Any]]:
        """The object, to read and change, under the lock."""
        if self.path is not None:
            with locked(self.path) as state:
                yield state
        else:
            with self._lock:
                yield self._memory


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() gives a new file here (0644 under the usual umask)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temp file and a rename: a reader, or a writer that crashed, never
    leaves half a file, and concurrent writers of one path leave one whole version. The
    file gets the mode any new file gets (a temp file's is 0600): a web server serving the
    trails as another user can read them, as it reads pytest-html's report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # not on Windows, where there are no such modes
            os.fchmod(fd, _MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
