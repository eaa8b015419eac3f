"""Reports built from the trail: pytest-html, Allure, JUnit XML, standalone trail, terminal,
Playwright tracing. Real suites run through pytester; the artifacts are parsed afterwards."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest
from PIL import Image

from pytest_cua.reporting import images

SUITE = """
import os
import pytest
from pytest_cua.testing import click, computer_call, scroll, turn, type_text, verdict

SITE = os.environ["SITE"]

def test_signs_up(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(
        turn(computer_call(click(170, 75)), input_tokens=900, output_tokens=40),
        turn(computer_call(type_text("Ada")), input_tokens=900, output_tokens=40),
        turn(verdict(True, "the name is typed"), input_tokens=900, output_tokens=40),
        turn(computer_call(scroll(400, 300, scroll_y=200)), input_tokens=500, output_tokens=20),
        turn(verdict(True, "the heading says Sign up"), input_tokens=500, output_tokens=20),
    )
    cua_agent("Type Ada as the name")
    cua_agent.check("The heading says Sign up")

def test_fails(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(False, "no Delete button anywhere")))
    cua_agent("Delete the account")
"""


@pytest.fixture
def suite(cua_pytester):
    cua_pytester.makepyfile(test_suite=SUITE)
    return cua_pytester


def html_tests(path):
    text = path.read_text()
    blob = re.search(r'data-jsonblob="([^"]*)"', text).group(1)
    return json.loads(html.unescape(blob))["tests"]


def test_pytest_html_has_one_image_per_turn_and_the_step_table(suite):
    result = suite.runpytest_subprocess("--html=report.html")
    result.assert_outcomes(passed=1, failed=1)
    tests = html_tests(suite.path / "report.html")
    passed = [e for r in tests["test_suite.py::test_signs_up[chromium]"] for e in r["extras"]]
    pictures = [e for e in passed if e["format_type"] == "image"]
    assert len(pictures) == 5
    assert pictures[0]["name"].startswith("step 1 (act) turn 1: click (170, 75)")
    for picture in pictures:  # written as files next to the report, real PNGs
        with Image.open(suite.path / picture["content"]) as img:
            assert img.size == (1280, 720) and img.format == "PNG"
    table = next(e["content"] for e in passed if e["format_type"] == "html")
    assert "Type Ada as the name" in table and "The heading says Sign up" in table
    assert "scroll at (400, 300) by (0, 200)" in table
    failed = [e for r in tests["test_suite.py::test_fails[chromium]"] for e in r["extras"]]
    table = next(e["content"] for e in failed if e["format_type"] == "html")
    assert "no Delete button anywhere" in table and "failed" in table


def test_self_contained_html_embeds_images(suite):
    result = suite.runpytest_subprocess("--html=report.html", "--self-contained-html",
                                        "--cua-report-images=webp")
    result.assert_outcomes(passed=1, failed=1)
    tests = html_tests(suite.path / "report.html")
    extras = [e for r in tests["test_suite.py::test_signs_up[chromium]"] for e in r["extras"]]
    pictures = [e for e in extras if e["format_type"] == "image"]
    assert len(pictures) == 5 and all(p["mime_type"] == "image/webp" for p in pictures)
    data = base64.b64decode(pictures[0]["content"].split(",")[-1])
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "WEBP" and img.size == (1280, 720)
    assert not (suite.path / "assets").exists()


def test_allure_nested_steps_with_png_attachments(suite):
    result = suite.runpytest_subprocess("--alluredir=allure-results")
    result.assert_outcomes(passed=1, failed=1)
    results_dir = suite.path / "allure-results"
    cases = {}
    for path in results_dir.glob("*-result.json"):
        case = json.loads(path.read_text())
        cases[case["name"]] = case
    passed = cases["test_signs_up[chromium]"]
    titles = [s["name"] for s in passed["steps"]]
    assert titles == ["cua act: Type Ada as the name", "cua check: The heading says Sign up"]
    act = passed["steps"][0]
    assert [s["name"] for s in act["steps"]] == [
        "turn 1: click (170, 75)", "turn 2: type 'Ada'",
        'turn 3: cua_verdict({"passed": true, "reason": "the name is typed"})']
    for nested in act["steps"]:
        shot = next(a for a in nested["attachments"] if a["type"] == "image/png")
        with Image.open(results_dir / shot["source"]) as img:
            assert img.size == (1280, 720)
    verdict = next(a for a in act["attachments"] if a["name"] == "verdict")
    assert (results_dir / verdict["source"]).read_text() == "passed: the name is typed"
    failed = cases["test_fails[chromium]"]
    assert failed["status"] == "failed"
    assert failed["steps"][0]["status"] == "failed"
    reason = next(a for a in failed["steps"][0]["attachments"] if a["name"] == "verdict")
    assert "no Delete button anywhere" in (results_dir / reason["source"]).read_text()


def test_junit_properties(suite):
    result = suite.runpytest_subprocess("--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    root = ET.parse(suite.path / "junit.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    props = {p.get("name"): p.get("value")
             for p in cases["test_signs_up[chromium]"].iter("property")}
    assert props == {"cua_steps": "2", "cua_turns": "5", "cua_replayed_turns": "0",
                     "cua_input_tokens": "3700",
                     "cua_output_tokens": "160", "cua_model": "gpt-5.4"}


def test_standalone_trail_opens_in_chromium(suite, page):
    result = suite.runpytest_subprocess("--cua-trail-dir=trails")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*standalone CUA trail: file:///*/trails/test_suite.py-test_fails-chromium.html*"])
    page.goto((suite.path / "trails/test_suite.py-test_signs_up-chromium.html").as_uri())
    assert page.locator("section.step").count() == 2
    assert page.locator("section.step[data-step='1'] .turn").count() == 3
    assert page.locator("section.step.passed").count() == 2
    natural = page.locator("img").first.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert natural == [1280, 720]
    assert "3700 in / 160 out tokens" in page.locator(".summary").inner_text()
    page.goto((suite.path / "trails/test_suite.py-test_fails-chromium.html").as_uri())
    assert page.locator("section.step.failed .verdict").inner_text() == \
        "no Delete button anywhere"


def test_terminal_lines_and_summary(suite):
    result = suite.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines([
        "*cua act #1 turn 1: click (170, 75) (*s)",
        "*cua check #2 turn 1: scroll at (400, 300) by (0, 200) (*s)",
        "*pytest-cua*",
        "2 tests with CUA steps: 3 steps, 6 model turns, 0 replayed turns, 4700 input / 210 "
        "output tokens",
    ])


def test_tracing_groups_each_instruction(suite):
    result = suite.runpytest_subprocess("--tracing=on", "-k", "signs_up")
    result.assert_outcomes(passed=1)
    traces = list((suite.path / "test-results").rglob("trace.zip"))
    assert traces
    with zipfile.ZipFile(traces[0]) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                       if n.endswith(".trace"))
    assert "cua act: Type Ada as the name" in text
    assert "cua check: The heading says Sign up" in text


def _pixel(png: bytes, x: int, y: int) -> tuple:
    with Image.open(io.BytesIO(png)) as img:
        return img.convert("RGB").getpixel((x, y))


def _white(width=300, height=200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def test_markers_are_drawn_at_the_right_pixels():
    click = images.draw_actions(_white(), [{"type": "click", "x": 50, "y": 40}])
    assert _pixel(click, 50, 40) == images.MARK
    assert _pixel(click, 50 + images.RING, 40) == images.MARK
    assert _pixel(click, 120, 120) == (255, 255, 255)
    drag = images.draw_actions(_white(), [{"type": "drag", "path": [
        {"x": 20, "y": 100}, {"x": 120, "y": 100}, {"x": 220, "y": 100}]}])
    assert _pixel(drag, 70, 100) == images.MARK and _pixel(drag, 170, 100) == images.MARK
    down = images.draw_actions(_white(), [{"type": "scroll", "x": 150, "y": 50,
                                           "scroll_x": 0, "scroll_y": 300}])
    assert _pixel(down, 150, 50 + 35) == images.MARK  # the arrow points down
    assert _pixel(down, 150, 50 - 35) == (255, 255, 255)
    untouched = _white()
    images.draw_actions(untouched, [{"type": "click", "x": 5, "y": 5}])
    assert _pixel(untouched, 5, 5) == (255, 255, 255)  # the unmarked screenshot is kept


@pytest.mark.parametrize(("fmt", "mime", "pil_format"),
                         [("png", "image/png", "PNG"), ("jpeg", "image/jpeg", "JPEG"),
                          ("webp", "image/webp", "WEBP")])
def test_report_image_formats_keep_the_size(fmt, mime, pil_format):
    source = io.BytesIO()
    Image.new("RGB", (320, 200), (250, 250, 250)).save(source, "PNG")
    data, got_mime = images.encode(source.getvalue(), fmt)
    assert got_mime == mime
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == pil_format and img.size == (320, 200)
