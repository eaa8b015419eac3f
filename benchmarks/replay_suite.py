"""A replayed suite against the same flows in plain Playwright, whole pytest run.

The four example-suite tests that drive the Errands app (add, complete, clear after
confirming, settings in a new tab) replayed from their cassettes, against the same four
flows written as plain Playwright tests with the same checks. Each is a fresh pytest
process, as a user runs it: start-up, browser launch, tests, teardown. The two runs
alternate, 7 times each; medians of process wall time and of the tests' call phases.

Usage:  python benchmarks/replay_suite.py [rounds]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _pytest_run import example_suite_copy, run_pytest  # noqa: E402

PLAIN = '''
from playwright.sync_api import expect


def add(page, errand):
    page.get_by_label("New errand").click()
    page.keyboard.type(errand)
    page.keyboard.press("Enter")


def test_add_an_errand(page, base_url):
    page.goto(base_url + "/")
    add(page, "buy milk")
    expect(page.get_by_text("buy milk")).to_be_visible()
    expect(page.locator("#list")).to_contain_text("buy milk")
    expect(page.locator("#left")).to_have_text("1 errand left")


def test_complete_an_errand(page, base_url):
    page.goto(base_url + "/")
    add(page, "post letter")
    page.get_by_label("done").check()
    expect(page.locator("li.done span")).to_have_text("post letter")
    assert page.locator("#left").inner_text() == "0 errands left"


def test_clear_done_errands_after_confirming(page, base_url):
    page.goto(base_url + "/")
    for errand in ("water plants", "pay rent"):
        page.get_by_label("New errand").fill(errand)
        page.get_by_label("New errand").press("Enter")
    page.locator("#list li", has_text="pay rent").get_by_label("done").check()
    page.click("#clear")
    page.click("#really")
    expect(page.locator("#list li")).to_have_count(1)
    expect(page.locator("#list")).to_contain_text("water plants")


def test_settings_open_in_a_new_tab_and_check_the_email(page, base_url):
    page.goto(base_url + "/")
    with page.context.expect_page() as opened:
        page.click("#settings")
    settings = opened.value
    settings.wait_for_load_state()
    assert settings.url.endswith("/settings.html")
    settings.get_by_label("Email").click()
    settings.keyboard.type("ada-at-example")
    settings.click("#save")
    expect(settings.locator("#email-error")).not_to_be_empty()
'''
REPLAYED = ["example_suite/test_errands.py", "-k", "not injected"]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    walls: dict[str, list[float]] = {"replayed": [], "plain": []}
    calls: dict[str, list[float]] = {"replayed": [], "plain": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        example_suite_copy(folder, ROOT, PLAIN)
        for _ in range(rounds):
            for name, args in (("replayed", REPLAYED), ("plain", ["example_suite/test_plain.py"])):
                wall, times = run_pytest(folder, *args)
                assert len(times) == 4, times
                walls[name].append(wall)
                calls[name].append(sum(times.values()))
    wall = {name: statistics.median(values) for name, values in walls.items()}
    call = {name: statistics.median(values) for name, values in calls.items()}
    print(json.dumps({
        "rounds": rounds,
        "replayed_wall_s": round(wall["replayed"], 2), "plain_wall_s": round(wall["plain"], 2),
        "wall_ratio": round(wall["replayed"] / wall["plain"], 3),
        "replayed_tests_s": round(call["replayed"], 3), "plain_tests_s": round(call["plain"], 3),
        "tests_ratio": round(call["replayed"] / call["plain"], 2),
    }, indent=2))


if __name__ == "__main__":
    main()
