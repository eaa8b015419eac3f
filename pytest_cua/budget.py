"""A session-wide budget of model turns, shared by every xdist worker through one file.

The controller (or a plain run) creates the file and hands its path to workers; each model
turn takes one unit under an exclusive file lock, so the count is exact across processes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .errors import CuaBudgetExceeded

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: counted without a lock
    fcntl = None  # type: ignore[assignment]


class Budget:
    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit

    def spend(self) -> int:
        """Take one model turn; CuaBudgetExceeded when none is left. Returns turns used."""
        with open(self.path, "a+", encoding="ascii") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            used = int(handle.read().strip() or 0)
            if used >= self.limit:
                raise CuaBudgetExceeded(
                    f"the session's model-turn budget is spent: {used} of {self.limit} turns "
                    "(--cua-max-turns-total) used by earlier steps; this step was not sent. "
                    "Raise the limit or run fewer tests")
            handle.seek(0)
            handle.truncate()
            handle.write(str(used + 1))
            handle.flush()
            return used + 1

    def used(self) -> int:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(self.path.read_text().strip() or 0)
        return 0

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
