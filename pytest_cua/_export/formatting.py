"""The exported code formatted as the project formats its own: with ruff, where installed.

Only what the export writes is formatted (each step's code, a module written anew); a
rewritten module's own code stays as its author wrote it. Ruff reads the project's
settings (line length, quotes) from the configuration beside `path`. Without ruff the code
is left as generated: it runs the same.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path


@cache
def _ruff() -> tuple[str, ...] | None:
    if importlib.util.find_spec("ruff") is not None:
        return (sys.executable, "-m", "ruff")
    found = shutil.which("ruff")
    return (found,) if found else None


def formatted(source: str, path: Path) -> str:
    """`source` as `ruff format` writes it for a file at `path`; unchanged without ruff or
    when ruff refuses it."""
    ruff = _ruff()
    if ruff is None:
        return source
    try:
        done = subprocess.run([*ruff, "format", "--stdin-filename", str(path), "-"],
                              input=source, capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return source
    return done.stdout if done.returncode == 0 and done.stdout else source
