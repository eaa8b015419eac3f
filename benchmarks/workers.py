"""Workers per machine: a live suite with a 1 s model under `-n 0/1/2/4/8`.

16 tests of 10 model turns each (9 clicks on a page that changes, then a verdict), the
scripted fake server answering every turn after 1.0 s, as a fast real model would. Each
run is a fresh pytest process; measured: wall time, CPU seconds of the whole process
tree (pytest, xdist workers, Playwright drivers, Chromium: `RUSAGE_CHILDREN`), peak
memory of the tree (PSS, so pages shared between Chromium processes count once; sampled
from /proc every 0.2 s) and, from JUnit XML, the
time spent in tests, so start-up (interpreters, plugins, browsers) is what remains.

`BENCH_WORKERS=0,8` picks the worker counts; `BENCH_SHARED_BROWSER=1` starts one Chromium
for all workers, reached over CDP by the README's `browser` override;
`BENCH_ONLY_NEEDED_PLUGINS=1` loads only the plugins the suite needs (pytest-playwright,
pytest-base-url, xdist, pytest-cua), not whatever else the machine has installed
(here: hypothesis, anyio, pytest-benchmark...).

Usage:  python benchmarks/workers.py [tests] [turns] [delay]
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEEDED_PLUGINS = ("pytest_playwright.pytest_playwright", "pytest_base_url.plugin",
                  "xdist.plugin", "pytest_cua.plugin")
WORKERS = tuple(os.environ.get("BENCH_WORKERS", "0,1,2,4,8").split(","))

TESTS = '''
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{font:16px sans-serif;margin:0;padding:20px} button{width:120px;height:40px;margin:4px}
</style></head><body><h1>Counter</h1><div id="buttons"></div><p id="count">0 clicks</p>
<script>let n = 0; for (let i = 0; i < 6; i++) { const b = document.createElement('button');
b.textContent = 'Button ' + i; b.onclick = () => {
document.getElementById('count').textContent = (++n) + ' clicks'; };
document.getElementById('buttons').append(b); }</script></body></html>"""

@pytest.mark.parametrize("number", range(TESTS))
def test_live(page, cua_fake_server, cua_agent, number):
    page.set_content(PAGE)
    clicks = [turn(computer_call(click(84 + 128 * (k % 4), 104)), delay=DELAY)
              for k in range(TURNS - 1)]
    cua_fake_server.script(*clicks, turn(verdict(True, "done"), delay=DELAY))
    cua_agent("Click the buttons")
    assert page.inner_text("#count") == f"{TURNS - 1} clicks"
'''


def _pss(pid: int) -> int:
    """Proportional set size: shared pages (Chromium's, Python's) counted once in total."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _tree_memory(roots: list[int]) -> int:
    """Memory (PSS) of processes and all their descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(
                int(entry.name))
        except (OSError, ValueError):
            continue
    total, stack = 0, list(roots)
    while stack:
        pid = stack.pop()
        total += _pss(pid)
        stack += children.get(pid, [])
    return total


def shared_chromium(folder: Path) -> subprocess.Popen:
    """One Chromium for every worker, reached over CDP (README: Remote browsers)."""
    log = folder / "chromium.log"
    args = [shutil.which("chromium") or "chromium", "--headless=new",
            "--remote-debugging-port=0", f"--user-data-dir={folder / 'profile'}",
            "--no-first-run", "--disable-gpu", "--no-sandbox", "about:blank"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"DevTools listening on (ws://\S+)", log.read_text())
        if found:
            os.environ["CDP_ENDPOINT"] = found.group(1)
            return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("Chromium did not report a DevTools endpoint")


SHARED_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.connect_over_cdp(os.environ["CDP_ENDPOINT"])
    yield browser
    browser.close()
"""


def _median(values) -> float:
    return statistics.median(list(values))


def run(folder: Path, workers: str, others: tuple[int, ...] = ()) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CUA_", "OPENAI_", "AZURE_OPENAI_", "PYTEST_"))}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers,
           "--junitxml=junit.xml", "-o", "junit_duration_report=call"]
    if os.environ.get("BENCH_ONLY_NEEDED_PLUGINS"):  # not the machine's other plugins
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        for plugin in NEEDED_PLUGINS:
            cmd += ["-p", plugin]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_memory([process.pid, *others]))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    wall = time.perf_counter() - started
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(output[-4000:])
    cases = list(ET.parse(folder / "junit.xml").iter("testcase"))
    in_tests = sum(float(c.get("time")) for c in cases)
    slots = max(1, int(workers))
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "peak_memory_mb": round(peak[0] / 2**20),
        "test_call_s_per_worker": round(in_tests / slots, 1),
        "test_call_s_min_median_max": [round(f(float(c.get("time")) for c in cases), 1)
                                       for f in (min, _median, max)],
        "outside_tests_s": round(wall - in_tests / slots, 1),
    }


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    results: dict = {"tests": tests, "turns_per_test": turns, "model_delay_s": delay,
                     "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
        (folder / "test_live.py").write_text(
            TESTS.replace("range(TESTS)", f"range({tests})").replace("TURNS", str(turns))
            .replace("DELAY", repr(delay)))
        others: tuple[int, ...] = ()
        if os.environ.get("BENCH_SHARED_BROWSER"):
            with (folder / "conftest.py").open("a") as conftest:
                conftest.write(SHARED_CONFTEST)
            browser = shared_chromium(folder)
            others = (browser.pid,)
        for workers in WORKERS:
            results[f"-n {workers}"] = run(folder, workers, others)
        if others:
            browser.terminate()
            browser.wait()
    if "-n 0" in results:
        serial = results["-n 0"]["wall_s"]
        results["speedup_over_n0"] = {n: round(serial / results[f"-n {n}"]["wall_s"], 2)
                                      for n in WORKERS if n != "0"}
    results["ideal_model_wait_s"] = round(tests * turns * delay, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
