"""The failure CI meets every day, read in every view: the example suite broken as a new
QA engineer would break it (a replayed act whose effect is gone, a changed heading under a
replayed step, an unreachable model), its reports opened in a real Chromium."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent.parent / "example_suite"
CLEAR = "test_clear_done_errands_after_confirming"
# The whole reason of the broken "Clear done" step, as every view must show it.
REASON = ('replay mismatch: clicking button "Remove" changed nothing (waited 1 s): '
          '"pay rent", "\u00d7" and checkbox "done" (checked) are still shown')


@pytest.fixture
def broken(cua_pytester: pytest.Pytester) -> pytest.Pytester:
    target = cua_pytester.path / "example_suite"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    index = target / "app" / "index.html"
    index.write_text(index.read_text().replace(
        "list.querySelectorAll('li.done').forEach(li => li.remove()); dialog.close();",
        "dialog.close();"))  # the handler breaks, the markup stays
    settings = target / "app" / "settings.html"
    settings.write_text(settings.read_text().replace(">Settings</h1>", ">Preferences</h1>"))
    return cua_pytester


def _views(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "example_suite", "--cua-replay-timeout=1",
        "--cua-trail-dir=trails", "--junitxml=junit.xml", "--cua-summary=summary.md",
        "--html=report.html", "--self-contained-html", "--alluredir=allure-results", *args)


def _junit(pytester: pytest.Pytester) -> dict[str, ET.Element]:
    root = ET.parse(pytester.path / "junit.xml").getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


def _property(case: ET.Element, name: str) -> str:
    return next(p.get("value", "") for p in case.iter("property") if p.get("name") == name)


def test_each_view_shows_the_whole_reason_the_outlined_picture_and_the_trail(broken, page):
    result = _views(broken)
    result.assert_outcomes(passed=8, failed=2)
    out = result.stdout.str()
    assert REASON.removeprefix("replay mismatch: ") in out
    failures = out.split("= FAILURES =")[1].split("warnings summary")[0]
    assert "pytest_cua/_" not in failures  # no plugin frames in the tracebacks
    # JUnit: the whole reason as the failure's message, the trail at the failing turn.
    case = _junit(broken)[f"{CLEAR}[chromium]"]
    assert case.find("failure").get("message") == f"CuaReplayMismatch: {REASON}"
    link = _property(case, "cua_trail")
    assert link.startswith("file://") and link.endswith("#step-2-turn-3")
    # The trail opens at that turn, the reason whole, the differing elements outlined.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(link)
    assert page.locator("body").get_attribute("data-step") == "2"
    assert REASON.removeprefix("replay mismatch: ") in page.locator("body").inner_text()
    assert page.locator("svg rect.outline").count() >= 3
    # The index: failures first, the reason whole, a working link.
    page.goto((broken.path / "trails" / "index.html").as_uri())
    first = page.locator("tbody tr").first
    assert CLEAR in first.inner_text()
    assert first.locator(".reason").inner_text() == REASON
    first.locator("a").first.click()
    assert page.url.endswith("#step-2-turn-3")
    # The Markdown summary: the whole reason in its row.
    summary = (broken.path / "summary.md").read_text()
    assert REASON.replace("|", "\\|") in summary
    # pytest-html: failures first; the reason, then its outlined picture, before anything
    # else of the test; a link to the trail.
    page.goto((broken.path / "report.html").as_uri())
    rows = page.locator("tbody.results-table-row")
    assert rows.first.get_attribute("class").endswith("failed")
    entry = rows.filter(has_text=CLEAR)
    failure = entry.locator(".cua-failure")
    assert failure.locator("pre").inner_text() == REASON
    assert failure.locator("svg rect.outline").count() >= 3
    assert entry.get_by_role("link", name="CUA trail").get_attribute("href") == link
    top = entry.bounding_box()["y"]
    assert failure.locator("pre").bounding_box()["y"] - top < 150  # not below the pictures
    # Allure: the reason whole in the result, the outlined picture, a link to the trail.
    results = [json.loads(p.read_text())
               for p in (broken.path / "allure-results").glob("*-result.json")]
    clear = next(r for r in results if r["name"].startswith(CLEAR))
    assert REASON.removeprefix("replay mismatch: ") in clear["statusDetails"]["message"]
    assert {"name": "CUA trail", "url": link, "type": "link"} in clear["links"]
    pictures = [a["source"] for s in _steps(clear) for a in s.get("attachments", [])
                if a["type"] == "image/svg+xml"]
    assert any('class="cua-mark outline"' in (broken.path / "allure-results" / name).read_text()
               for name in pictures)
    assert {"name": "cua_failure", "value": "replay mismatch"} in clear["labels"]
    assert any(a["name"] == "where step 2 failed" for a in clear["attachments"])  # unfolded
    step = next(s for s in clear["steps"] if "Clear the done errands" in s["name"])
    assert step["status"] == "failed" and step["steps"][-1]["status"] == "failed"
    assert errors == []


def _steps(result: dict) -> list[dict]:
    out = []
    for step in result.get("steps", []):
        out += [step, *_steps(step)]
    return out


def test_a_heal_that_errors_is_counted_nowhere_as_healed(broken, monkeypatch):
    """With a model to heal through (auto), but the model unreachable: an error, not a
    heal, in the terminal, JUnit, the index and the trail; the regression that made the
    model call is still said."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    result = _views(broken, "-v", "--cua-timeout=5")
    result.assert_outcomes(passed=8, errors=2)
    out = result.stdout.str()
    assert "0 healed after a mismatch" in out, out
    assert "healed through the model" not in out
    result.stdout.fnmatch_lines([
        "*cua act #2 not healed, the model could not be asked: clicking button \"Remove\" "
        "changed nothing*",
        "*CuaProviderError: cannot reach the model service at http://127.0.0.1:9/v1/responses*",
        "*the model was asked because the replay no longer matched: clicking button "
        '"Remove" changed nothing*'])
    case = _junit(broken)[f"{CLEAR}[chromium]"]
    assert _property(case, "cua_healed") == "0"
    assert case.find("error") is not None
    index = (broken.path / "trails" / "index.html").read_text()
    assert CLEAR in index and 'data-healed="0"' in index and 'data-healed="1"' not in index
    trail = next((broken.path / "trails").glob(f"*{CLEAR}*.html")).read_text()
    data = json.loads(trail.split('id="cua-trail">', 1)[1].split("</script>", 1)[0])
    assert data["steps"][1]["source"] == "replay mismatch"
    assert data["steps"][1]["turns"][-1]["error"].startswith("cannot reach the model service")
