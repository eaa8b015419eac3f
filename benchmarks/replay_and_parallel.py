"""Replay speed against plain Playwright, and parallel scaling of the replayed example suite.

1. Replay: `example_suite/test_errands.py::test_complete_an_errand` replayed from its
   cassette (3 steps, 6 recorded actions) against the same flow written as a plain
   Playwright test; test call time from JUnit XML, median of 5 runs each.
2. Parallel: the whole example suite replayed with `-n 2` versus `-n 0`, process wall time,
   median of 3 runs each; the same for 4 copies of the suite (32 tests, so test time
   outweighs start-up), and for the suite run live against the scripted demo model
   answering each turn after 0.5 s (`--cua-cache=off`, DEMO_MODEL_DELAY=0.5).

Usage:  python benchmarks/replay_and_parallel.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _pytest_run import example_suite_copy, run_pytest  # noqa: E402

PLAIN = '''
from playwright.sync_api import expect

def test_plain_playwright(page, base_url):
    page.goto(base_url + "/")
    page.get_by_label("New errand").click()
    page.keyboard.type("post letter")
    page.keyboard.press("Enter")
    page.get_by_label("done").check()
    expect(page.locator("li.done span")).to_have_text("post letter")
    assert page.locator("#left").inner_text() == "0 errands left"
'''


def copy_suite(folder: Path, number: int) -> str:
    """A copy of the example suite under another name, its cassettes re-keyed to match."""
    name = f"example_suite_{number}"
    target = folder / name
    shutil.copytree(folder / "example_suite", target)
    cassettes = target / "cassettes"
    (cassettes / "example_suite").rename(cassettes / name)
    # Python test modules need unique names; their cassette folders follow the file name.
    (target / "test_errands.py").rename(target / f"test_errands_{number}.py")
    (cassettes / name / "test_errands").rename(cassettes / name / f"test_errands_{number}")
    for path in cassettes.rglob("*.yaml"):
        text = path.read_text().replace("test: example_suite/", f"test: {name}/")
        path.write_text(text.replace("/test_errands.py::", f"/test_errands_{number}.py::"))
    return name


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        example_suite_copy(folder, ROOT, PLAIN)
        replay, plain = [], []
        for _ in range(5):
            _, times = run_pytest(folder, "example_suite/test_errands.py::test_complete_an_errand",
                              "example_suite/test_plain.py")
            replay.append(times["test_complete_an_errand[chromium]"])
            plain.append(times["test_plain_playwright[chromium]"])
        (folder / "example_suite" / "test_plain.py").unlink()
        serial = [run_pytest(folder, "example_suite", "-n", "0")[0] for _ in range(3)]
        parallel = [run_pytest(folder, "example_suite", "-n", "2")[0] for _ in range(3)]
        live = {n: statistics.median(run_pytest(folder, "example_suite", "-n", n, "--cua-cache=off",
                                            DEMO_MODEL_DELAY="0.5")[0] for _ in range(2))
                for n in ("0", "2")}
        copies = ["example_suite", *(copy_suite(folder, k) for k in (2, 3, 4))]
        big = {n: statistics.median(run_pytest(folder, *copies, "-n", n)[0] for _ in range(2))
               for n in ("0", "2")}
    result = {
        "replay_call_s": round(statistics.median(replay), 3),
        "plain_playwright_call_s": round(statistics.median(plain), 3),
        "replay_over_plain": round(statistics.median(replay) / statistics.median(plain), 2),
        "suite_n0_wall_s": round(statistics.median(serial), 2),
        "suite_n2_wall_s": round(statistics.median(parallel), 2),
        "parallel_speedup": round(statistics.median(serial) / statistics.median(parallel), 2),
        "suite_x4_n0_wall_s": round(big["0"], 2), "suite_x4_n2_wall_s": round(big["2"], 2),
        "suite_x4_speedup": round(big["0"] / big["2"], 2),
        "live_0_5s_n0_wall_s": round(live["0"], 2), "live_0_5s_n2_wall_s": round(live["2"], 2),
        "live_speedup": round(live["0"] / live["2"], 2),
        "cores": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
