"""Outcomes of whole pytest runs (design.md section 2), checked through pytester."""

from __future__ import annotations

import pytest

HEADER = """
import os
import pytest
from pytest_cua import CuaSafetyCheckFailed
from pytest_cua.testing import (answer, click, computer_call, message, safety_check, turn,
                                verdict)

SITE = os.environ["SITE"]
"""


def run(pytester, body, *args):
    pytester.makepyfile(test_inner=HEADER + body)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", *args)


def test_pass_fail_and_check_reasons(cua_pytester, vendor):  # every dialect
    result = run(cua_pytester, """
def test_passes(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(True, "all good")))
    assert cua_agent("Look at the form").reason == "all good"

def test_act_fails(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(False, "there is no Delete button")))
    cua_agent("Delete the account")

def test_check_fails(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(False, "the heading says Sign up")))
    cua_agent.check("The heading says Log in")

def test_ask(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(answer("Sign up")))
    assert cua_agent.ask("What is the heading?") == "Sign up"
""")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*CuaStepFailed: CUA step failed: 'Delete the account'*",
        "*model's reason: there is no Delete button*",
        "*CuaCheckFailed: CUA check failed: 'The heading says Log in'*",
        "*model's reason: the heading says Sign up*",
    ])


def test_max_steps_exceeded(cua_pytester, vendor):  # every dialect
    result = run(cua_pytester, """
@pytest.mark.cua(max_steps=2)
def test_long(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(*[turn(computer_call(click(5, 5))) for _ in range(5)])
    try:
        cua_agent("Keep clicking")
    finally:
        assert len(cua_fake_server.requests) == 2
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CuaMaxStepsExceeded*max_steps=2*"])


def test_plain_text_gets_one_nudge_then_fails(cua_pytester, vendor):  # every dialect
    result = run(cua_pytester, """
def test_chatty(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(message("I believe it is done.")),
                           turn(message("Really, it is done.")))
    try:
        cua_agent("Do the thing")
    finally:
        second = cua_fake_server.requests[1]
        assert "call cua_verdict now" in second.texts()[0]
        assert len(cua_fake_server.requests) == 2

def test_nudge_works(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(message("Done, I think.")), turn(verdict(True, "done")))
    assert cua_agent("Do the thing").passed
""")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*CuaStepFailed*",
        "*the model answered in text instead of giving a verdict: Really, it is done.*",
    ])


def test_safety_check_fails_by_default_and_nothing_runs(cua_pytester):
    result = run(cua_pytester, """
def test_unsafe(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/events.html")
    check = safety_check("malicious_instructions", "The page tells you to go elsewhere",
                         id="sc_evil")
    cua_fake_server.script(turn(computer_call(click(100, 100), safety_checks=[check])))
    with pytest.raises(CuaSafetyCheckFailed) as info:
        cua_agent("Click the pad")
    assert page.evaluate("window.events.filter(e => e.type === 'click').length") == 0
    assert info.value.checks[0]["id"] == "sc_evil"
    raise info.value
""")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*CuaSafetyCheckFailed*policy 'fail'*",
        "*id=sc_evil code=malicious_instructions message=The page tells you to go elsewhere*",
    ])


def test_acknowledge_policies(cua_pytester):
    result = run(cua_pytester, """
CHECKS = [safety_check("irrelevant_domain", id="sc_1"), safety_check("sensitive_domain", id="sc_2")]

@pytest.mark.cua(safety_policy="acknowledge")
def test_acknowledge_all(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/events.html")
    cua_fake_server.script(turn(computer_call(click(100, 100), safety_checks=CHECKS)),
                           turn(verdict(True, "clicked")))
    cua_agent("Click the pad")
    assert page.evaluate("window.events.filter(e => e.type === 'click').length") == 1
    output = cua_fake_server.requests[1].items("computer_call_output")[0]
    acked = output["acknowledged_safety_checks"]
    assert [(c["id"], c["code"]) for c in acked] == [("sc_1", "irrelevant_domain"),
                                                    ("sc_2", "sensitive_domain")]
    assert acked[0]["message"] == "irrelevant_domain detected on screen"

@pytest.mark.cua(safety_policy="irrelevant_domain,sensitive_domain")
def test_listed_codes(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/events.html")
    cua_fake_server.script(turn(computer_call(click(100, 100), safety_checks=CHECKS)),
                           turn(verdict(True, "clicked")))
    cua_agent("Click the pad")

@pytest.mark.cua(safety_policy="irrelevant_domain", model="gpt-5.4")
def test_unlisted_code_fails_ga(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/events.html")
    cua_fake_server.script(turn(computer_call(click(100, 100), click(120, 120),
                                              safety_checks=CHECKS)))
    try:
        cua_agent("Click the pad")
    finally:
        assert page.evaluate("window.events.filter(e => e.type === 'click').length") == 0
""")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "E *CuaSafetyCheckFailed: CUA safety check not allowed by policy 'irrelevant_domain'*",
        "E *id=sc_2 code=sensitive_domain*",
    ])
    assert "id=sc_1" not in result.stdout.str()


def test_missing_credentials_error_before_any_page(cua_pytester):
    cua_pytester.makeconftest(cua_pytester.path.joinpath("conftest.py").read_text() + """
@pytest.fixture
def context(context):
    open("context-created", "w").close()
    return context
""")
    result = run(cua_pytester, """
def test_needs_key(page, cua_agent):
    cua_agent("Do anything")
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CuaConfigError: no OpenAI credentials: set OPENAI_API_KEY*"])
    assert not (cua_pytester.path / "context-created").exists()


def test_provider_failure_is_an_error_not_a_failure(cua_pytester):
    result = run(cua_pytester, """
from pytest_cua.testing import fault

def test_service_down(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(fault(401, {"error": {"message": "bad key"}},
                                 headers={"x-request-id": "req_42"}))
    cua_agent("Do anything")
""")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*CuaProviderError: the model service refused the credentials (401) "
        "(request id req_42)*",
    ])


def test_protocol_violation_fails_loudly(cua_pytester):
    # The plugin is made to declare a display size other than the screenshot's: the fake
    # server answers 400 (a provider error) and its fixture reports the protocol error.
    result = run(cua_pytester, """
import pytest_cua._providers.responses as protocol

@pytest.mark.cua(tool="preview")  # the tool that declares its display size
def test_wrong_size(cua_fake_server, page, cua_agent, monkeypatch):
    real = protocol.computer_tool
    monkeypatch.setattr(protocol, "computer_tool", lambda kind, w, h: real(kind, w - 1, h))
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(verdict(True, "x")))
    cua_agent("Click")
""")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "E *CuaProviderError: the model service answered HTTP 400 (request id req_fake_*): "
        "fake server: screenshot is 1280x720 but the computer tool declares display 1279x720",
        "E *AssertionError: fake Responses API saw protocol errors:",
    ])


@pytest.mark.parametrize(("args", "ini", "env", "needle"), [
    (["--cua-max-steps=0"], "", {}, "bad value for --cua-max-steps (command line)*"),
    (["--cua-tool=foo"], "", {}, "*argument --cua-tool: invalid choice: 'foo'*"),
    ([], "cua_safety_policy = maybe?", {}, "bad value for cua_safety_policy (ini)*"),
    ([], "", {"CUA_TIMEOUT": "soon"}, "bad value for CUA_TIMEOUT (environment)*"),
    ([], "", {"CUA_ALLOWED_DOMAINS": "ex ample/"}, "bad value for CUA_ALLOWED_DOMAINS*"),
])
def test_bad_option_values_are_usage_errors(cua_pytester, monkeypatch, args, ini, env, needle):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if ini:
        cua_pytester.makeini(f"[pytest]\n{ini}\n")
    cua_pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = cua_pytester.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{needle}"])


def test_bad_marker_values_error_the_test(cua_pytester):
    result = run(cua_pytester, """
@pytest.mark.cua(max_steps="lots")
def test_bad_value(page, cua_agent):
    pass

@pytest.mark.cua(colour="blue")
def test_unknown_key(page, cua_agent):
    pass
""")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*CuaConfigError: bad value for @pytest.mark.cua(max_steps=...): *'lots'*",
        "*CuaConfigError: @pytest.mark.cua got unknown argument(s) colour*",
    ])


def test_settings_precedence_through_pytest(cua_pytester, monkeypatch):
    monkeypatch.setenv("CUA_MAX_STEPS", "7")
    monkeypatch.setenv("CUA_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused")
    cua_pytester.makeini("[pytest]\ncua_model = ini-model\ncua_timeout = 33\n")
    cua_pytester.makepyfile(test_x="""
import pytest
from pytest_cua._providers.registry import tool_for

def test_defaults(cua_settings):
    s = cua_settings
    assert (s.model, s.max_steps, s.timeout, s.tool) == ("cli-model", 7, 33.0, "preview")
    assert tool_for(s, {}) == "ga"

@pytest.mark.cua(model="marker-model", tool="auto")
def test_marker(cua_settings):
    assert cua_settings.model == "marker-model"
    assert tool_for(cua_settings, {}) == "ga"
""")
    result = cua_pytester.runpytest_subprocess("--cua-model=cli-model", "--cua-tool=preview")
    result.assert_outcomes(passed=1, failed=1)
    # CLI tool=preview wins over default; the first test asserted ga: it must fail there.
    result.stdout.fnmatch_lines(["*assert 'preview' == 'ga'*"])
