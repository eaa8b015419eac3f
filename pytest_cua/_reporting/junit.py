"""JUnit XML: an infrastructure error is an `<error>`, a product failure a `<failure>`.

CI dashboards (GitLab, Jenkins, Azure DevOps) read the two apart, and a model outage must not
read as a product bug. pytest writes `<failure>` for every failed call phase, so the
JUnit writer's reporter for a test is told, for reports that pytest-cua marked as
infrastructure (`report.cua_infrastructure`, which travels with xdist's reports), to write
an `<error>` instead. Only the XML changes: the report itself stays a failed call, so
`--lf`, pytest-rerunfailures' `--only-rerun`, pytest-html and Allure see what they always
saw (the terminal shows ERROR through `pytest_report_teststatus`).
"""

from __future__ import annotations

from typing import Any

import pytest


def errors_for_infrastructure(config: pytest.Config) -> None:
    """Make the session's JUnit writer (if `--junitxml` is on) write `<error>` for them."""
    from _pytest.junitxml import xml_key  # pytest has no public handle on its writer

    xml: Any = config.stash.get(xml_key, None)
    if xml is None or getattr(xml, "_cua_errors", False):
        return
    xml._cua_errors = True
    make_reporter = xml.node_reporter

    def node_reporter(report: Any) -> Any:
        reporter: Any = make_reporter(report)
        if not getattr(reporter, "_cua_errors", False):
            reporter._cua_errors = True
            reporter.append_failure = _append(reporter, reporter.append_failure)
        return reporter

    xml.node_reporter = node_reporter


def _append(reporter: Any, append_failure: Any) -> Any:
    from _pytest.junitxml import bin_xml_escape

    def append(report: pytest.TestReport) -> None:
        # The failing step's whole reason (pytest cuts a long message to a few lines).
        said = (getattr(report, "cua_details", None) or {}).get("reason", "")
        crash = getattr(report.longrepr, "reprcrash", None)
        if not getattr(report, "cua_infrastructure", False):
            if not said:
                append_failure(report)
                return
            kind = crash.message.split(":", 1)[0].rsplit(".", 1)[-1] if crash else "failure"
            reporter._add_simple("failure", bin_xml_escape(f"{kind}: {said}"),
                                 str(report.longrepr))
            return
        reason = said or (crash.message if crash is not None else str(report.longrepr))
        reporter._add_simple("error", bin_xml_escape(f"infrastructure error: {reason}"),
                             str(report.longrepr))

    return append
