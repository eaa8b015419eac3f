"""Running a pytest suite in a fresh process for a benchmark, with no model credentials."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def run_pytest(folder: Path, *args: str, **env_extra: str) -> tuple[float, dict[str, float]]:
    """(process wall seconds, each test's call-phase seconds from JUnit XML, by name)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CUA_", "OPENAI_", "AZURE_OPENAI_"))}
    env.update(env_extra)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--junitxml=junit.xml", "-o", "junit_duration_report=call", *args]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-2000:])
    cases = ET.parse(folder / "junit.xml").iter("testcase")
    return wall, {case.get("name"): float(case.get("time")) for case in cases}
