"""A large run's reports in a real browser: the index of 200 tests and a 100-turn trail.

Trails are made from real records (`Trail`, `StepResult`, `TurnRecord`) with a busy
1280x720 screenshot (gradient and grain, as JPEG like the model is sent), written by the
plugin's own writers; Chromium then opens the index and the trail, and the times to open,
filter, and move a turn are measured.

Usage:  python benchmarks/report_scale.py [tests] [turns per test] [turns of the long trail]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pytest_cua._reporting import html_trail, trail_index  # noqa: E402
from pytest_cua.trail import ActionRecord, Trail, TurnRecord  # noqa: E402


def busy_screenshot(page) -> bytes:
    """The busy test page (a TodoMVC-like app on a textured background) as the model is
    sent it: 1280x720, JPEG at quality 90."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto((ROOT / "tests" / "pages" / "busy.html").as_uri())
    return page.screenshot(type="jpeg", quality=90)


def make_trail(name: str, turns: int, shot: bytes, per_step: int = 20) -> Trail:
    trail = Trail(nodeid=name, model="gpt-5.4", variant="ga")
    for first in range(0, turns, per_step):
        step = trail.start_step("act", f"Do part {first // per_step + 1} of the flow")
        for n in range(min(per_step, turns - first)):
            turn = TurnRecord(index=n, screenshot=shot, screenshot_size=(1280, 720),
                              url="http://app.test/", seconds=1.0, input_tokens=1500,
                              output_tokens=60)
            action = {"type": "click", "x": 100 + 11 * n, "y": 80 + 7 * n}
            turn.actions.append(ActionRecord(action, f"click ({action['x']}, {action['y']})"))
            step.turns.append(turn)
        step.finish("passed", True, "done")
    return trail


def write_run(folder: Path, shot: bytes, tests: int = 200, turns: int = 20,
              long_trail: int = 100) -> tuple[Path, Path]:
    """The run index of `tests` tests (every 10th failed) and one trail of `long_trail`
    turns of the screenshot `shot`; their paths."""
    trail = make_trail("tests/test_long.py::test_long[chromium]", long_trail, shot)
    trail_path = folder / "test_long.html"
    trail_path.write_text(html_trail.render_trail(trail, "passed", "webp"), encoding="utf-8")
    rows = []
    for n in range(tests):
        failed = n % 10 == 3
        props = {"cua_steps": 2, "cua_turns": turns, "cua_replayed_turns": 0,
                 "cua_input_tokens": 1500 * turns, "cua_output_tokens": 60 * turns,
                 "cua_model": "gpt-5.4", "cua_replayed": 0, "cua_healed": n % 7 == 0}
        rows.append(trail_index.entry(
            f"tests/test_app.py::test_{n:03d}[chromium]", "failed" if failed else "passed",
            trail_path.name, props,
            {"anchor": "#step-2-turn-3" if failed else "", "seconds": 20 + n % 13,
             "reason": "the cart shows 2 items, not 3" if failed else ""}))
    return trail_index.write(folder, rows), trail_path


def main() -> None:
    from playwright.sync_api import sync_playwright

    given = [int(a) for a in sys.argv[1:4]]
    tests, turns, long_trail = given + [200, 20, 100][len(given):]
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        folder = Path(tmp)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        shot = busy_screenshot(page)
        started = time.perf_counter()
        index, trail = write_run(folder, shot, tests, turns, long_trail)
        written = time.perf_counter() - started
        page.set_viewport_size({"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(index.as_uri())
        opened_index = time.perf_counter() - started
        started = time.perf_counter()
        page.fill("#search", "test_042")
        page.wait_for_function("document.getElementById('shown').textContent"
                               ".startsWith('1 of')")
        searched = time.perf_counter() - started
        started = time.perf_counter()
        page.locator("#trails thead th", has_text="duration").click()
        sorted_s = time.perf_counter() - started
        started = time.perf_counter()
        page.goto(trail.as_uri())
        page.wait_for_selector("#stage img")
        opened_trail = time.perf_counter() - started
        moves = []
        for n in range(2, 21):  # the 20 turns of the first step
            started = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"document.body.dataset.turn === '{n}'")
            page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
            moves.append(time.perf_counter() - started)
        browser.close()
        print(json.dumps({
            "tests": tests, "turns_per_test": turns, "long_trail_turns": long_trail,
            "index_kib": round(index.stat().st_size / 1024),
            "trail_kib": round(trail.stat().st_size / 1024),
            "trail_kib_per_turn": round(trail.stat().st_size / 1024 / long_trail, 1),
            "write_s": round(written, 2), "open_index_s": round(opened_index, 3),
            "search_s": round(searched, 3), "sort_s": round(sorted_s, 3),
            "open_trail_s": round(opened_trail, 3),
            "next_turn_median_ms": round(statistics.median(moves) * 1000, 1),
            "next_turn_max_ms": round(max(moves) * 1000, 1),
        }, indent=2))


if __name__ == "__main__":
    main()
