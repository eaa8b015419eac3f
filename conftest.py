"""Repository-wide test configuration: the browser pytest-playwright launches.

Playwright cannot download its own browsers on our CI machines, so tests run on the
system Chromium (Debian's /usr/bin/chromium) when Playwright's own build is missing.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

pytest_plugins = ["pytest_cua.testing"]

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def system_chromium() -> str | None:
    return os.environ.get("CUA_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = dict(browser_type_launch_args)
    executable = system_chromium()
    if executable and "executable_path" not in args:
        args["executable_path"] = executable
    extra = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--no-sandbox")
    args["args"] = [*args.get("args", []), *extra]
    return args
