"""What a new user and CI see when things go wrong (hardening II).

Each test is a real inner pytest run through pytester in a fresh project (the browser
conftest only), against the fake server and real Chromium, and checks the output a person
or a CI dashboard reads: warnings, the length and content of a provider failure, JUnit's
`<error>` versus `<failure>`, and the usage error for a mistyped safety policy.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

HARD_TIMEOUT = 240

HEADER = """
import os
import pytest
from pytest_cua.testing import click, computer_call, fault, turn, verdict

SITE = os.environ["SITE"]
"""


def run(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=HEADER + body)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=HARD_TIMEOUT)


@pytest.fixture
def users_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # a user's run, not one inside our xdist


def assert_no_warning(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    assert "warning" not in out.lower(), out


def test_a_fresh_project_runs_clean(cua_pytester, users_run):
    """pytest-asyncio (the async extra) is installed here: a sync suite sees no warning."""
    import pytest_asyncio  # noqa: F401  (the extra is what this test is about)

    result = run(cua_pytester, """
def test_first(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(True, "the form is there")))
    cua_agent.check("There is a sign-up form")
""", "-W", "default")
    result.assert_outcomes(passed=1)
    assert_no_warning(result)


ASYNC_FIRST_TEST = """
import pytest_asyncio
from playwright.async_api import async_playwright

@pytest_asyncio.fixture
async def async_page(browser_type_launch_args):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**browser_type_launch_args)
        yield await browser.new_page()
        await browser.close()

@pytest.mark.asyncio
async def test_first_async(cua_fake_server, async_page, cua_agent_for):
    await async_page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(True, "the form is there")))
    await cua_agent_for(async_page).check("There is a sign-up form")
"""


def test_a_fresh_async_project_runs_clean(cua_pytester, users_run):
    """An async test with an async fixture, no pytest-asyncio setting: no warning of any
    kind, and the loop scope pytest-asyncio uses when unset (the plugin's default)."""
    result = run(cua_pytester, ASYNC_FIRST_TEST, "-W", "default")
    result.assert_outcomes(passed=1)
    assert_no_warning(result)
    result.stdout.fnmatch_lines(["asyncio: *asyncio_default_fixture_loop_scope=fixture-scope*"])


def test_the_users_loop_scope_wins(cua_pytester, users_run):
    cua_pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = run(cua_pytester, ASYNC_FIRST_TEST, "-W", "default")
    result.assert_outcomes(passed=1)
    assert_no_warning(result)
    result.stdout.fnmatch_lines(["asyncio: *asyncio_default_fixture_loop_scope=function*"])


def test_a_model_outage_is_short_and_says_what_happened(cua_pytester):
    result = run(cua_pytester, """
def test_outage(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(fault(500), fault(502), fault(503))
    cua_agent("Sign up as Ada")
""", "--cua-trail-dir=trails")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    report = out[out.index("= ERRORS ="):out.index("short test summary")]
    assert len(report.splitlines()) <= 40, report
    for noise in ("_base_client.py", "openai/", "base64", "data:image", "'input': ["):
        assert noise not in report, (noise, report)
    assert "cua_agent(\"Sign up as Ada\")" in report  # the user's own line
    assert re.search(r"CuaProviderError: the model service answered HTTP 503 \(request id "
                     r"req_fake_\d+\): scripted fault 503; it still failed after 2 retries",
                     report), report
    assert "rerun later (or with --reruns 2 --only-rerun CuaProviderError)" in report
    assert re.search(r"standalone CUA trail: file:///\S+/trails/test_inner\.py-test_outage-"
                     r"chromium\.html", report), report


INFRASTRUCTURE = """
def test_model_outage(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(fault(500), fault(500), fault(500))
    cua_agent("Look")

@pytest.mark.cua(cache="auto")  # no cassette, no key: the model is needed and cannot be asked
def test_no_credentials(page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_agent("Look")

@pytest.mark.cua(cache="replay")
def test_no_cassette(page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_agent("Look")

def test_product_bug(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(False, "the Delete button is missing")))
    cua_agent("Press Delete")

def test_budget_spent(cua_fake_server, page, cua_agent):  # last: the others spend 2 turns
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(True, "one")), turn(verdict(True, "two")))
    cua_agent("One")
    cua_agent("Two")
"""

EXPECTED = {"test_model_outage": ("error", "CuaProviderError"),
            "test_no_credentials": ("error", "CuaConfigError"),
            "test_no_cassette": ("error", "CuaCassetteError"),
            "test_product_bug": ("failure", "CuaStepFailed"),
            "test_budget_spent": ("error", "CuaBudgetExceeded")}


def _junit(pytester: pytest.Pytester) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    suite = ET.parse(pytester.path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {}
    for case in suite.iter("testcase"):  # a rerun attempt comes first, with no outcome
        outcome = [child for child in case if child.tag in ("error", "failure")]
        cases[case.get("name", "").split("[")[0]] = (
            (outcome[0].tag, outcome[0].get("message", "")) if outcome else ("none", ""))
    return cases, dict(suite.attrib)


@pytest.mark.parametrize("how", [[], ["-n", "2"], ["--reruns", "1", "--only-rerun",
                                                    "CuaProviderError"]],
                         ids=["plain", "xdist", "reruns"])
def test_junit_says_error_for_infrastructure_and_failure_for_the_product(cua_pytester, how):
    budget = ["--cua-max-turns-total=3"] if not how else []
    selected = EXPECTED if not how else {k: v for k, v in EXPECTED.items()
                                         if k != "test_budget_spent"}
    args = ["--junitxml=junit.xml", *budget, *how]
    if how:
        args += ["-k", "not budget"]
    result = run(cua_pytester, INFRASTRUCTURE, *args)
    errors = sum(1 for kind, _ in selected.values() if kind == "error")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("errors", 0), outcomes.get("failed", 0)) == (errors, 1), outcomes
    if "--reruns" in how:
        assert outcomes.get("rerun") == 1  # only the outage was tried again
    cases, suite = _junit(cua_pytester)
    assert set(cases) == set(selected)
    for name, (kind, exception) in selected.items():
        assert cases[name][0] == kind, (name, cases[name])
        assert exception in cases[name][1], (name, cases[name])
    assert (suite["errors"], suite["failures"]) == (str(errors), "1")


def test_last_failed_reruns_infrastructure_errors(cua_pytester):
    body = INFRASTRUCTURE.split("def test_budget_spent")[0]
    cua_pytester.makepyfile(test_inner=HEADER + body)
    first = cua_pytester.runpytest_subprocess(timeout=HARD_TIMEOUT)
    first.assert_outcomes(errors=3, failed=1)
    again = cua_pytester.runpytest_subprocess("--lf", timeout=HARD_TIMEOUT)
    again.stdout.fnmatch_lines(["*run-last-failure: rerun previous 4 failures*"])


@pytest.mark.parametrize(("where", "named"), [
    ("cli", "--cua-safety-policy (command line)"),
    ("ini", "cua_safety_policy (ini)"),
    ("env", "CUA_SAFETY_POLICY (environment)"),
    ("marker", "@pytest.mark.cua(safety_policy=...)"),
])
def test_a_mistyped_safety_policy_is_a_usage_error(cua_pytester, monkeypatch, where, named):
    body = """
def test_x(page, cua_agent):
    pass
"""
    args: list[str] = []
    if where == "cli":
        args.append("--cua-safety-policy=sometimes")
    elif where == "ini":
        cua_pytester.makeini("[pytest]\ncua_safety_policy = sometimes\n")
    elif where == "env":
        monkeypatch.setenv("CUA_SAFETY_POLICY", "sometimes")
    else:
        body = "\n@pytest.mark.cua(safety_policy='sometimes')" + body
    result = run(cua_pytester, body, *args)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert named in out, out
    assert "unknown safety check code(s) 'sometimes'" in out
    assert ("malicious_instructions, irrelevant_domain, sensitive_domain, "
            "require_confirmation") in out
    assert "code:<code>" in out


def test_a_code_this_version_does_not_know_can_be_acknowledged(cua_pytester):
    result = run(cua_pytester, """
from pytest_cua.testing import safety_check

@pytest.mark.cua(safety_policy="code:brand_new_check")
def test_new_code(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(
        turn(computer_call(click(10, 10), safety_checks=[safety_check("brand_new_check")])),
        turn(verdict(True, "ok")))
    cua_agent("Click")
    acked = cua_fake_server.requests[1].items("computer_call_output")[0]
    assert acked["acknowledged_safety_checks"][0]["code"] == "brand_new_check"
""")
    result.assert_outcomes(passed=1)
