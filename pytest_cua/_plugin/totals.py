"""What belongs to the whole run, written once by the controller (or a plain run): the
totals line, the trail index (`--cua-trail-dir`), the Markdown summary (`--cua-summary`)
and Allure's categories (`--alluredir`). Workers' reports reach it through xdist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .._replay import cassettes
from .._reporting import artifacts, live, summary, trail_index
from .._run import quota
from ..settings import Settings
from . import run
from .options import session_settings


@pytest.hookimpl(trylast=True)  # after `run` made the run's folder
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # a worker's reports are added up by the controller
    settings = session_settings(config)
    trails = settings.trail_dir
    totals = SessionTotals(artifacts.trail_folder(config, trails) if trails else None,
                           settings, getattr(config.option, "allure_report_dir", None))
    totals.run_folder = run.folder(config)
    totals.config = config
    config.pluginmanager.register(totals, "cua_session_totals")


class SessionTotals:
    """Adds up the CUA properties of every test report, workers' included under xdist."""

    def __init__(self, trail_folder: Path | None = None, settings: Settings | None = None,
                 allure_dir: str | None = None) -> None:
        # Cache hits and misses; turns and tokens are summed from the rows (trail_index).
        self.cassettes: dict[str, int] = {**dict.fromkeys(cassettes.SOURCES, 0),
                                          "cassettes": 0, "heal_turns": 0}
        self.trail_folder = trail_folder
        self.settings = settings or Settings()
        self.allure_dir = allure_dir
        self.rows: list[dict] = []  # every test with CUA steps, for the summary
        self.index: Path | None = None
        self.run_folder: Path | None = None  # the quotas' shared state
        self.config: pytest.Config | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props: dict[str, Any] = dict(p for p in report.user_properties
                                     if isinstance(p, tuple) and len(p) == 2)
        if report.when != "call" or "cua_turns" not in props:
            return
        outcome = "error" if getattr(report, "cua_infrastructure", False) else report.outcome
        details = getattr(report, "cua_details", None) or {}
        trail = str(details.get("trail", "")) if self.trail_folder is not None else ""
        self.rows.append(trail_index.entry(report.nodeid, outcome, trail, props, details))
        if "cua_replayed" in props:
            self.cassettes["cassettes"] += 1
            for source in cassettes.SOURCES:
                self.cassettes[source] += int(props[f"cua_{source}"])
            self.cassettes["heal_turns"] += int(props.get("cua_heal_turns", 0))

    def pytest_sessionfinish(self) -> None:
        trails = [row for row in self.rows if row["trail"]]
        if self.trail_folder is not None and trails:
            self.index = trail_index.write(self.trail_folder, trails)
        if self.settings.summary and self.rows:
            summary.append_to(Path(self.settings.summary), self.rows, self.settings.trail_url)
        if self.allure_dir:
            live.write_allure_categories(Path(self.allure_dir))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.index is not None:
            terminalreporter.write_line(f"pytest-cua trail index: {self.index.as_uri()}")
        if not self.rows:
            return
        terminalreporter.write_sep("-", "pytest-cua")
        terminalreporter.write_line(trail_index.say_totals(trail_index.totals(self.rows)))
        shared = run.shared_quotas(self.config) if self.config is not None else {}
        for line in quota.run_lines(self.run_folder, shared) if self.run_folder else ():
            terminalreporter.write_line(line)
        t = self.cassettes
        if not t["cassettes"]:
            return
        if self.settings.cache == "record":  # nothing was looked up: all of it is new
            terminalreporter.write_line(f"cassettes: {t['live']} steps recorded through the "
                                        f"model in {t['cassettes']} cassettes")
            return
        terminalreporter.write_line(
            f"cassettes: {t['replayed']} steps replayed (cache hits), {t['live']} asked the "
            f"model (misses), {t['healed']} healed after a mismatch"
            + (f" ({t['heal_turns']} model turns)" if t["healed"] else ""))
