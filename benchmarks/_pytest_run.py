"""Running a pytest suite in a fresh process for a benchmark, with no model credentials."""

from __future__ import annotations

import os
import shutil
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


def example_suite_copy(folder: Path, root: Path, plain_tests: str) -> None:
    """The example suite (cassettes included) and the repository's conftest in `folder`,
    with `plain_tests` as `example_suite/test_plain.py`: the same flows in plain Playwright."""
    shutil.copy(root / "conftest.py", folder / "conftest.py")
    shutil.copytree(root / "example_suite", folder / "example_suite",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "example_suite" / "test_plain.py").write_text(plain_tests)
