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

from pytest_cua._reporting import images

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


def embedded(svg: bytes) -> tuple[Image.Image, list[tuple[float, float]]]:
    """The screenshot an SVG picture holds, and the centres of its click rings."""
    text = svg.decode()
    data = re.search(r'<image href="data:image/(\w+);base64,([^"]+)"', text)
    image = Image.open(io.BytesIO(base64.b64decode(data.group(2))))
    rings = [(float(x), float(y)) for x, y in
             re.findall(r'<circle class="cua-mark [\w-]+" cx="([\d.]+)" cy="([\d.]+)"', text)]
    return image, rings


def test_pytest_html_has_one_picture_per_turn_and_the_step_table(suite):
    result = suite.runpytest_subprocess("--html=report.html")
    result.assert_outcomes(passed=1, failed=1)
    tests = html_tests(suite.path / "report.html")
    passed = [e for r in tests["test_suite.py::test_signs_up[chromium]"] for e in r["extras"]]
    pictures = [e for e in passed if e["format_type"] == "image"]
    assert len(pictures) == 5
    assert pictures[0]["name"].startswith("step 1 (act) turn 1: click (170, 75)")
    for picture in pictures:  # files beside the report, linked: one SVG each, holding the
        # screenshot once (WebP by default) with the actions drawn over it
        assert picture["mime_type"] == "image/svg+xml"
        image, _ = embedded((suite.path / picture["content"]).read_bytes())
        assert image.size == (1280, 720) and image.format == "WEBP"
    _, rings = embedded((suite.path / pictures[0]["content"]).read_bytes())
    assert rings == [(170, 75)]
    table = next(e["content"] for e in passed if e["format_type"] == "html")
    assert "Type Ada as the name" in table and "The heading says Sign up" in table
    assert "scroll at (400, 300) by (0, 200)" in table
    failed = [e for r in tests["test_suite.py::test_fails[chromium]"] for e in r["extras"]]
    first, table = (e["content"] for e in failed[:2])  # the failure first, then the table
    assert 'class="cua-failure"' in first and "no Delete button anywhere" in first
    assert "cua-steps" in table and "failed" in table


def test_self_contained_html_embeds_each_screenshot_once(suite):
    result = suite.runpytest_subprocess("--html=report.html", "--self-contained-html",
                                        "--cua-report-images=png")
    result.assert_outcomes(passed=1, failed=1)
    tests = html_tests(suite.path / "report.html")
    extras = [e for r in tests["test_suite.py::test_signs_up[chromium]"] for e in r["extras"]]
    strip = next(e["content"] for e in extras if e["format_type"] == "html"
                 and "cua-strip" in e["content"])  # one filmstrip of every turn
    figures = strip.split('<figure class="cua-turn cua-frame"')[1:]
    assert len(figures) == 5 and all('loading="lazy"' in f for f in figures)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', figures[0]).group(1)
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        assert image.format == "PNG" and image.size == (1280, 720)  # exact, when asked for
    assert 'class="cua-mark click" cx="170" cy="75"' in figures[0]
    assert not (suite.path / "assets").exists()


def test_allure_nested_steps_with_pictures(suite):
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
        shot = next(a for a in nested["attachments"] if a["type"] == "image/svg+xml")
        image, _ = embedded((results_dir / shot["source"]).read_bytes())
        assert image.size == (1280, 720)
    verdict = next(a for a in act["attachments"] if a["name"] == "verdict")
    assert (results_dir / verdict["source"]).read_text() == (
        "passed: the name is typed\n3 model turns, 2700 input / 120 output tokens, cost "
        "$0.0086")  # gpt-5.4: 2700 x $2.50 + 120 x $15.00 per million
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
                     "cua_output_tokens": "160", "cua_model": "gpt-5.4",
                     "cua_cost_usd": f"{(3700 * 2.50 + 160 * 15.00) / 1e6:.6f}"}


def test_terminal_lines_and_summary(suite):
    result = suite.runpytest_subprocess("-v")
    result.stdout.fnmatch_lines([
        "*cua act #1 turn 1: click (170, 75) (*s)",
        "*cua check #2 turn 1: scroll at (400, 300) by (0, 200) (*s)",
        "*pytest-cua*",
        "2 tests with CUA steps: 3 steps, 6 model turns, 0 replayed turns, 4700 input / 210 "
        "output tokens, cost $0.0149",  # gpt-5.4: 4700 x $2.50 + 210 x $15.00 per million
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


def test_markers_are_drawn_where_the_actions_happened():
    def shapes(action: dict) -> str:
        return images.markers([action])

    click = shapes({"type": "click", "x": 50, "y": 40})
    assert 'class="cua-mark click" cx="50" cy="40"' in click
    double = shapes({"type": "double_click", "x": 5, "y": 6})
    assert double.count('class="cua-mark double_click"') == 2
    drag = shapes({"type": "drag", "path": [{"x": 20, "y": 100}, {"x": 120, "y": 100},
                                            {"x": 220, "y": 100}]})
    assert 'points="20,100 120,100"' in drag and 'x2="220" y2="100"' in drag
    down = shapes({"type": "scroll", "x": 150, "y": 50, "scroll_x": 0, "scroll_y": 300})
    assert 'x1="150" y1="50" x2="150" y2="100"' in down  # the arrow points down
    typed = shapes({"type": "type", "text": "Ada <3"})
    assert "typed &#x27;Ada &lt;3&#x27;" in typed
    assert "key CTRL+A" in shapes({"type": "keypress", "keys": ["CTRL", "A"]})
    assert images.points([{"type": "click", "x": 1, "y": 2}, {"type": "type", "text": "x"},
                          {"type": "drag", "path": [{"x": 3, "y": 4}, {"x": 5, "y": 6}]}]) \
        == [(1, 2), (3, 4), (5, 6)]


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


def test_trails_and_the_index_are_readable_by_other_users(tmp_path):
    """A web server running as another user serves them, as it serves pytest-html's
    report: written whole, with the mode a new file gets (0644 under umask 022)."""
    import os
    import stat

    from pytest_cua._run.store import write_atomic

    write_atomic(tmp_path / "trails" / "index.html", "<html></html>")
    mask = os.umask(0)
    os.umask(mask)
    mode = stat.S_IMODE((tmp_path / "trails" / "index.html").stat().st_mode)
    assert mode == 0o666 & ~mask  # not a temp file's 0600
    if not mask & 0o004:
        assert mode & stat.S_IROTH
