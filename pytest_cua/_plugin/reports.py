"""A test's CUA steps in its report: the outcome hooks, the properties JUnit XML and the
summary read, pytest-html extras, Allure steps and attachments, and live lines with -v.

Reporters are chosen from what the run writes (pytest-html's `--html`, allure-pytest's
`--alluredir`, `--cua-trail-dir`), through those plugins' own public hooks and APIs.
"""

from __future__ import annotations

import traceback
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from .._replay import cassettes
from .._reporting import artifacts, html_trail, junit, live
from ..errors import (
    CuaBudgetExceeded,
    CuaCassetteError,
    CuaConfigError,
    CuaProviderError,
    CuaReplayMismatch,
)
from ..settings import Settings
from ..trail import Trail
from . import stash
from .options import settings_for

# Failures of the run's machinery, not of the product: reported as errors, never as fails.
INFRASTRUCTURE_ERRORS = (CuaProviderError, CuaConfigError, CuaCassetteError,
                         CuaBudgetExceeded)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """After pytest's JUnit writer exists: infrastructure errors become `<error>`."""
    junit.errors_for_infrastructure(config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(INFRASTRUCTURE_ERRORS):
        report.cua_infrastructure = True  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[stash.PASSED] = report.passed
        if report.failed and allure_on(item.config):
            _label_failure(report, call)
    trail = stash.trail_of(item)
    if trail is None:
        return report
    try:
        if report.when == "teardown":
            _attach_playwright_artifacts(item)  # written by pytest-playwright's teardown
        elif report.when == "call" and trail.steps:
            _attach_trail(item, report, trail)
    except Exception:
        report.sections.append(("pytest-cua reporting error", traceback.format_exc()))
    return report


# Why a test failed, as a label Allure 3's category rules match (see docs/reports.md):
# stable words, whatever the message says.
FAILURE_LABEL = "cua_failure"


def _label_failure(report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
    allure = live.load_allure()
    if allure is None:
        return
    if getattr(report, "cua_infrastructure", False):
        kind = "infrastructure"
    elif call.excinfo is not None and call.excinfo.errisinstance(CuaReplayMismatch):
        kind = "replay mismatch"
    else:
        kind = "product"
    allure.dynamic.label(FAILURE_LABEL, kind)


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    # A provider or configuration failure during the test body is infrastructure: show it
    # as an error, like a fixture failure, never as a failed product check.
    if getattr(report, "cua_infrastructure", False) and report.when == "call" and report.failed:
        return "error", "E", "ERROR"
    return None


def html_report(config: pytest.Config) -> Any:
    """The pytest-html plugin when it writes a report in this run, else None."""
    html = config.pluginmanager.getplugin("html")
    return html if html is not None and getattr(config.option, "htmlpath", None) else None


def allure_on(config: pytest.Config) -> bool:
    return config.pluginmanager.get_plugin("allure_listener") is not None


def show_images(config: pytest.Config, settings: Settings) -> bool:
    """Whether a report of this run shows screenshots (replayed steps then take theirs)."""
    if settings.report_images == "off":
        return False
    return bool(html_report(config) or allure_on(config) or settings.trail_dir)


def live_reporters(config: pytest.Config, settings: Settings) -> list[Any]:
    """What follows a step while it runs: -v lines and Allure steps."""
    reporters: list[Any] = []
    plugins = config.pluginmanager
    terminal = plugins.get_plugin("terminalreporter")
    if terminal is not None and config.get_verbosity() > 0:
        capture = plugins.get_plugin("capturemanager")

        def write_line(line: str) -> None:
            # Shown live, past output capture, the way pytest's live logging does it.
            if capture is None:
                terminal.write_line(line)
                return
            with capture.global_and_fixture_disabled():
                terminal.write_line(line)

        reporters.append(live.TerminalLines(write_line))
    if allure_on(config):
        allure = live.load_allure()
        if allure is not None:
            reporters.append(live.AllureSteps(allure, settings.report_images))
    return reporters


def _attach_trail(item: pytest.Item, report: pytest.TestReport, trail: Trail) -> None:
    config = item.config
    settings = item.stash.get(stash.SETTINGS, None) or settings_for(item)
    outcome = "error" if getattr(report, "cua_infrastructure", False) else report.outcome
    properties = [
        ("cua_steps", len(trail.steps)),
        ("cua_turns", trail.model_turns),  # requests to the model: what the run paid for
        ("cua_replayed_turns", trail.replayed_turns),
        ("cua_input_tokens", trail.input_tokens),
        ("cua_output_tokens", trail.output_tokens),
        # US dollars, or "unknown" when the model has no price (never a made-up one)
        ("cua_cost_usd", "unknown" if trail.cost_usd is None else f"{trail.cost_usd:.6f}"),
        ("cua_model", trail.model),
    ]
    if trail.cached_tokens:
        properties.append(("cua_cached_tokens", trail.cached_tokens))
    tape = item.stash.get(stash.TAPE, None)
    if tape is not None:
        properties += [(f"cua_{source}", tape.sources.count(source))
                       for source in cassettes.SOURCES]
        # what healing cost: the model turns of the steps it healed
        properties.append(("cua_heal_turns", sum(
            1 for s in trail.steps if s.source == "healed" for t in s.turns if not t.replayed)))
    # What the run's index and summary show of the test; travels with the report (xdist).
    # A test that passed opens at its start (a step it expected to fail is no failure).
    failing = html_trail.failing_step(trail) if report.failed else None
    anchor = html_trail.anchor(trail) if failing else ""
    report.cua_details = {"anchor": anchor,  # type: ignore[attr-defined]
                          "seconds": report.duration, "reason": failing.reason if failing else ""}
    link = ""
    if settings.trail_dir:
        path = artifacts.write_trail(config, item, trail, outcome, settings)
        relative = artifacts.relative_trail(config, item, settings)
        report.cua_details["trail"] = relative
        # a failure opens at its turn; where CI publishes the trails, at their address there
        link = artifacts.published(settings, relative, path) + anchor
        properties.append(("cua_trail", link))
        report.sections.append(("cua trail", f"standalone CUA trail: {link}"))
        allure = live.load_allure() if allure_on(config) else None
        if allure is not None:
            allure.dynamic.link(link, name="CUA trail")
    # On the item, like record_property, so the teardown report (which JUnit XML reads)
    # carries them; on this report for hooks that look at the call phase.
    item.user_properties.extend(properties)
    report.user_properties.extend(properties)
    html = html_report(config)
    if html is not None:
        self_contained = bool(config.getoption("self_contained_html", default=False))
        report.extras = [*getattr(report, "extras", []),  # type: ignore[attr-defined]
                         *([html.extras.url(link, name="CUA trail")] if link else []),
                         *artifacts.html_extras(html.extras, trail, settings.report_images,
                                                self_contained)]


def _attach_playwright_artifacts(item: pytest.Item) -> None:
    """Allure: the Playwright trace and video pytest-playwright kept for the test
    (`--tracing`, `--video`), so the trace opens from the Allure report."""
    output = item.stash.get(stash.OUTPUT, None)
    folder = Path(output) if output else None
    allure = live.load_allure() if folder and allure_on(item.config) else None
    if allure is None or folder is None or not folder.is_dir():
        return
    for path in sorted(folder.glob("trace*.zip")):
        allure.attach.file(str(path), name=f"Playwright {path.stem}", extension="zip",
                           attachment_type=live.PLAYWRIGHT_TRACE)
    for path in sorted(folder.glob("video*.webm")):
        allure.attach.file(str(path), name=f"Playwright {path.stem}", extension="webm",
                           attachment_type=allure.attachment_type.WEBM)
