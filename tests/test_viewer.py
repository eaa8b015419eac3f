"""Reports II: the trail viewer and the run index in a real Chromium, report sizes on a
busy page, Allure's categories and Playwright attachments, the Markdown summary.

Inner suites run through pytester against the fake model; what they wrote is opened with
the outer test's Playwright page and used as a person would: keys, clicks, deep links.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SUITE = """
import os
import pytest
from pytest_cua.testing import click, computer_call, scroll, turn, type_text, verdict

SITE = os.environ["SITE"]

def test_signs_up(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(
        turn(computer_call(click(170, 75))), turn(computer_call(type_text("Ada"))),
        turn(verdict(True, "the name is typed")),
        turn(computer_call(scroll(400, 300, scroll_y=200))),
        turn(verdict(True, "the heading says Sign up")))
    cua_agent("Type Ada as the name")
    cua_agent.check("The heading says Sign up")

def test_fails(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(computer_call(click(300, 200))),
                           turn(verdict(False, "no Delete button anywhere")))
    cua_agent("Delete the account")
"""


@pytest.fixture
def run_suite(cua_pytester):
    cua_pytester.makepyfile(test_suite=SUITE)
    result = cua_pytester.runpytest_subprocess(
        "--cua-trail-dir=trails", "--junitxml=junit.xml", "--cua-summary=summary.md")
    result.assert_outcomes(passed=1, failed=1)
    return cua_pytester, result


@pytest.fixture
def errors(page):
    """JavaScript errors the page raised; each test asserts there were none."""
    seen: list[str] = []
    page.on("pageerror", lambda error: seen.append(str(error)))
    page.on("console", lambda msg: seen.append(msg.text) if msg.type == "error" else None)
    return seen


def shown(page) -> tuple[int, int]:
    return int(page.locator("body").get_attribute("data-step")), int(
        page.locator("body").get_attribute("data-turn"))


def test_keys_move_through_turns_and_steps_and_links_open_a_turn(run_suite, page, errors):
    pytester, _ = run_suite
    trail = pytester.path / "trails/test_suite.py-test_signs_up-chromium.html"
    page.goto(trail.as_uri())
    assert shown(page) == (1, 1)
    assert page.locator("#steps li").count() == 2 and page.locator("#film figure").count() == 5
    assert "5 model turns, 0 replayed turns" in page.locator(".summary").inner_text()
    for key, expected in [("ArrowRight", (1, 2)), ("ArrowRight", (1, 3)),
                          ("ArrowRight", (2, 1)), ("ArrowLeft", (1, 3)), ("ArrowDown", (2, 1)),
                          ("ArrowUp", (1, 1)), ("End", (2, 2)), ("k", (2, 1)), ("j", (2, 2))]:
        page.keyboard.press(key)
        assert shown(page) == expected, key
    assert page.evaluate("location.hash") == "#step-2-turn-2"
    page.locator("#film figure").nth(1).click()
    assert shown(page) == (1, 2)
    page.locator("#steps li").nth(1).click()
    assert shown(page) == (2, 1)
    assert "scroll at (400, 300) by (0, 200)" in page.locator("#details").inner_text()

    page.goto(trail.as_uri() + "#step-1-turn-3")  # a deep link opens its turn
    assert shown(page) == (1, 3)
    assert 'cua_verdict({"passed": true, "reason": "the name is typed"})' in \
        page.locator("#details").inner_text()
    page.evaluate("location.hash = '#step-2'")  # a step alone: its last turn
    page.wait_for_function("document.body.dataset.step === '2'")
    assert shown(page) == (2, 2)
    assert errors == []


def test_the_picture_zooms_shows_the_page_after_and_steps_take_the_focus(run_suite, page,
                                                                        errors):
    pytester, _ = run_suite
    page.goto((pytester.path / "trails/test_suite.py-test_signs_up-chromium.html").as_uri())
    stage = page.locator("#stage")
    narrow = stage.bounding_box()["width"]
    page.keyboard.press("z")  # the picture across the whole view
    assert stage.bounding_box()["width"] > narrow * 1.3
    stage.click()
    assert abs(stage.bounding_box()["width"] - narrow) < 2
    before = page.locator("#stage img").get_attribute("src")
    page.keyboard.press("a")  # the page the turn's actions left: the next turn's picture
    assert page.locator("body").get_attribute("data-view") == "after"
    after = page.locator("#stage img").get_attribute("src")
    page.keyboard.press("ArrowRight")
    assert page.locator("body").get_attribute("data-view") == "after"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("a")
    assert page.locator("#stage img").get_attribute("src") == before != after
    page.locator("#steps li").nth(1).focus()  # the keyboard alone: Tab to a step, Enter
    page.keyboard.press("Enter")
    assert shown(page) == (2, 1)
    page.locator("#film figure").nth(1).focus()
    page.keyboard.press("Enter")
    assert shown(page) == (1, 2)
    assert errors == []


def test_a_failing_trail_opens_at_the_failing_turn_from_the_ci_output(run_suite, page,
                                                                       errors):
    pytester, result = run_suite
    link = next(line.split("standalone CUA trail: ")[1] for line in result.outlines
                if "standalone CUA trail:" in line and "test_fails" in line)
    assert link.endswith("test_suite.py-test_fails-chromium.html#step-1-turn-2")
    props = {p.get("name"): p.get("value")
             for case in ET.parse(pytester.path / "junit.xml").iter("testcase")
             if case.get("name") == "test_fails[chromium]" for p in case.iter("property")}
    assert props["cua_trail"] == link
    page.goto(link)
    assert shown(page) == (1, 2)
    verdict = page.locator("#details .verdict")
    assert "failed" in verdict.get_attribute("class")
    assert verdict.inner_text() == "failed: no Delete button anywhere"
    page.goto(link.split("#")[0])  # without the fragment too: the failure first
    assert shown(page) == (1, 2)
    assert page.locator("#steps li.failed").count() == 1
    assert errors == []


def test_markers_sit_on_the_point_at_any_window_size(run_suite, page, errors):
    pytester, _ = run_suite
    page.goto((pytester.path / "trails/test_suite.py-test_signs_up-chromium.html").as_uri())
    for width, height in ((1500, 950), (900, 700)):
        page.set_viewport_size({"width": width, "height": height})
        image = page.locator("#stage img").bounding_box()
        ring = page.locator("#stage circle.cua-mark").first.bounding_box()
        centre = (ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2)
        expected = (image["x"] + 170 * image["width"] / 1280,
                    image["y"] + 75 * image["height"] / 720)
        assert abs(centre[0] - expected[0]) < 1.5 and abs(centre[1] - expected[1]) < 1.5, (
            width, centre, expected)
    natural = page.locator("#stage img").evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert natural == [1280, 720]
    assert errors == []


def test_play_mode_steps_through_the_turns(run_suite, page, errors):
    pytester, _ = run_suite
    page.goto((pytester.path / "trails/test_suite.py-test_signs_up-chromium.html").as_uri())
    page.select_option("#speed", "250")
    page.click("#play")
    page.wait_for_function("document.body.dataset.step === '2' && "
                           "document.body.dataset.turn === '2'", timeout=10_000)
    page.wait_for_function("document.getElementById('play').textContent.includes('play')")
    assert shown(page) == (2, 2)  # it stops at the last turn
    page.keyboard.press("Home")
    page.keyboard.press(" ")  # space plays too
    page.wait_for_function("document.body.dataset.turn !== '1' || "
                           "document.body.dataset.step !== '1'", timeout=5_000)
    page.keyboard.press(" ")
    assert errors == []


def test_the_index_filters_searches_and_sorts(run_suite, page, errors):
    pytester, _ = run_suite
    index = pytester.path / "trails/index.html"
    page.goto(index.as_uri())
    rows = page.locator("#trails tbody tr")
    assert rows.count() == 2
    assert page.locator(".verdict").inner_text() == "1 failed, 1 passed"
    assert "failed" in rows.first.get_attribute("class")  # failures first
    failed = page.locator("#trails tbody tr.failed")
    assert "no Delete button anywhere" in failed.inner_text()
    assert failed.locator("a").get_attribute("href").endswith("#step-1-turn-2")

    def visible() -> list[str]:
        return [r.split("[")[0].split("::")[-1] for r in page.eval_on_selector_all(
            "#trails tbody tr:not([hidden]) td:first-child a", "as => as.map(a => a.textContent)")]

    def total(column: str) -> str:
        heads = page.locator("#trails thead th").all_inner_texts()
        return page.locator("#trails tfoot td").nth(heads.index(column)).inner_text()

    assert (total("test"), total("model turns")) == ("total (2)", "7")
    page.uncheck("input[name=passed]")
    assert visible() == ["test_fails"]
    assert (total("test"), total("model turns")) == ("total of 1 shown", "2")  # the filter's
    page.check("input[name=passed]")
    page.fill("#search", "sign")
    assert visible() == ["test_signs_up"]
    page.fill("#search", "delete button")
    assert visible() == ["test_fails"]
    page.fill("#search", "")
    page.check("input[name=only-replayed]")
    assert visible() == []
    page.uncheck("input[name=only-replayed]")
    turns = page.locator("#trails thead th", has_text="model turns")
    turns.click()
    assert visible() == ["test_fails", "test_signs_up"]  # 2 turns, then 5
    turns.click()
    assert visible() == ["test_signs_up", "test_fails"]
    assert "2 of 2 shown" in page.locator("#shown").inner_text()
    page.click("#trails tbody tr.failed a")  # into the trail, at the failure
    assert shown(page) == (1, 2)
    assert errors == []


def test_the_markdown_summary_puts_failures_first(run_suite):
    pytester, _ = run_suite
    text = (pytester.path / "summary.md").read_text()
    assert text.startswith("## pytest-cua: 1 failed, 1 passed")
    assert "2 tests with CUA steps: 3 steps, 7 model turns, 0 replayed turns" in text
    failures = text.index("| failed test |")
    assert text.index("test_fails") > failures and "no Delete button anywhere" in text
    assert "`test_suite.py-test_fails-chromium.html#step-1-turn-2`" in text
    assert "<details><summary>1 other tests</summary>" in text
    # appended, as GitHub's $GITHUB_STEP_SUMMARY wants: a second run adds a second summary
    result = pytester.runpytest_subprocess(
        "--cua-summary=summary.md", "--cua-trail-dir=trails", "--junitxml=published.xml",
        "--html=published.html", "--cua-trail-url=https://ci.example/run/7/trails/")
    again = (pytester.path / "summary.md").read_text()
    assert again.count("## pytest-cua:") == 2
    published = ("https://ci.example/run/7/trails/test_suite.py-test_fails-chromium.html"
                 "#step-1-turn-2")
    assert f"[trail]({published})" in again
    # every printed or stored link is the published one: terminal, JUnit, pytest-html
    result.stdout.fnmatch_lines([f"*standalone CUA trail: {published}"])
    props = {p.get("name"): p.get("value")
             for case in ET.parse(pytester.path / "published.xml").iter("testcase")
             if case.get("name") == "test_fails[chromium]" for p in case.iter("property")}
    assert props["cua_trail"] == published
    assert published in (pytester.path / "published.html").read_text()  # a links-column url
    index = (pytester.path / "trails" / "index.html").read_text()
    assert "test_suite.py-test_fails-chromium.html#step-1-turn-2" in index


# A TodoMVC-like app on a textured background (paper grain, a photo-like header): a busy
# page like the ones users have; a flat test page would flatter the images.
BUSY = """
import os
from pytest_cua.testing import click, computer_call, turn, verdict

def test_busy_page(cua_fake_server, page, cua_agent):
    page.goto(os.environ["SITE"] + "/busy.html")
    spots = [(386, 291), (386, 342), (386, 394), (386, 445), (676, 506)]  # ticks, Clear
    cua_fake_server.script(*[turn(computer_call(click(*spots[n % 5]))) for n in range(9)],
                           turn(verdict(True, "ticked and cleared")))
    cua_agent("Tick every errand, untick them, then clear")
"""
GOAL = 60 * 1024  # bytes per model turn, each report, default settings


def test_reports_stay_under_60_kib_a_turn_on_a_busy_page(cua_pytester):
    cua_pytester.makepyfile(test_busy=BUSY)
    result = cua_pytester.runpytest_subprocess(
        "--html=report.html", "--self-contained-html", "--alluredir=allure",
        "--cua-trail-dir=trails")
    result.assert_outcomes(passed=1)
    turns = 10
    sizes = {
        "pytest-html (self-contained)": (cua_pytester.path / "report.html").stat().st_size,
        "allure results": sum(p.stat().st_size for p in (cua_pytester.path / "allure").iterdir()),
        "trail": (cua_pytester.path / "trails/test_busy.py-test_busy_page-chromium.html"
                  ).stat().st_size,
    }
    per_turn = {name: size / turns for name, size in sizes.items()}
    # under the goal with a little margin (what it measures varies with fonts and encoders)
    assert all(size <= GOAL * 0.95 for size in per_turn.values()), per_turn
    assert all(size >= 12 * 1024 for size in per_turn.values()), per_turn  # images are in


def test_allure_gets_categories_and_the_playwright_trace(cua_pytester):
    cua_pytester.makepyfile(test_suite=SUITE)
    # (--video needs Playwright's own ffmpeg, which cannot be downloaded here; a video is
    # attached the same way as the trace)
    result = cua_pytester.runpytest_subprocess("--alluredir=allure", "--tracing=on")
    result.assert_outcomes(passed=1, failed=1)
    results = cua_pytester.path / "allure"
    categories = json.loads((results / "categories.json").read_text())
    names = [c["name"] for c in categories]
    assert names[0].startswith("Infrastructure errors") and "replay mismatch" in names[1]
    assert names[2].startswith("Product failures")
    cases = {c["name"]: c for c in (json.loads(p.read_text())
                                    for p in results.glob("*-result.json"))}
    for case in cases.values():
        attached = {a["type"]: a for a in case.get("attachments", [])}
        trace = attached["application/vnd.allure.playwright-trace"]
        assert trace["source"].endswith(".zip") and (results / trace["source"]).stat().st_size
    product = re.compile(categories[2]["messageRegex"])
    failed = cases["test_fails[chromium]"]
    assert product.match(failed["statusDetails"]["message"])
    assert not re.match(categories[0]["messageRegex"], failed["statusDetails"]["message"])


def test_a_generated_run_of_200_tests_opens_and_responds(tmp_path, page, errors):
    """The index of 200 tests of 20 turns and a 100-turn trail, made from real records of
    a busy screenshot, open and respond in Chromium (timings: benchmarks/report_scale.py)."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    from report_scale import busy_screenshot, write_run

    index, trail = write_run(tmp_path, busy_screenshot(page), tests=200, turns=20,
                             long_trail=100)
    page.goto(index.as_uri())
    assert page.locator("#trails tbody tr").count() == 200
    page.fill("#search", "test_042")
    assert page.locator("#trails tbody tr:not([hidden])").count() == 1
    page.goto(trail.as_uri())
    assert page.locator("#film figure").count() == 100
    page.keyboard.press("End")
    assert page.locator("body").get_attribute("data-turn") == "20"
    page.keyboard.press("Home")
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    assert shown(page) == (2, 11)
    assert errors == []
