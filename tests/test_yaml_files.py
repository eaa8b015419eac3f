"""Natural-language test files (design.md section 7) and the example suite, through pytester."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_cua._plugin import yamltests

EXAMPLE = Path(__file__).parent.parent / "example_suite"

CONFTEST = """
import os
import pytest
from pytest_cua.testing import answer, click, computer_call, turn, type_text, verdict

@pytest.fixture(scope="session")
def base_url():
    return os.environ["SITE"]

TURNS = {
    "signs up": [turn(computer_call(click(170, 75))), turn(computer_call(type_text("Ada"))),
                 turn(verdict(True, "typed Ada")), turn(verdict(True, "the heading is Sign up")),
                 turn(answer("Sign up"))],
    "wrong heading": [turn(verdict(False, "the heading says Sign up, not Log in"))],
    "bad answer": [turn(answer("Register"))],
}

@pytest.fixture(autouse=True)
def scripted(request):
    if "cua_agent" in request.fixturenames:
        server = request.getfixturevalue("cua_fake_server")
        server.script(*TURNS[request.node.originalname])
"""

SUITE = """
name: signs up
url: /form.html
markers: [smoke]
steps:
  - Type Ada as the name
  - check: The heading says Sign up
  - ask: What is the heading?
    expect: /^Sign/
---
name: wrong heading
url: /form.html
steps:
  - check: The heading says Log in
---
name: bad answer
url: /form.html
max_steps: 3
steps:
  - ask: What is the heading?
    expect: Sign up
"""


@pytest.fixture
def yaml_suite(cua_pytester: pytest.Pytester) -> pytest.Pytester:
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST)
    cua_pytester.makeini("[pytest]\nmarkers =\n    smoke: quick ones\n")
    (cua_pytester.path / "test_signup.cua.yaml").write_text(SUITE)
    return cua_pytester


def test_yaml_tests_pass_and_fail_like_pytest_tests(yaml_suite):
    result = yaml_suite.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "test_signup.cua.yaml::signs up?chromium? PASSED*",
        "test_signup.cua.yaml::wrong heading?chromium? FAILED*",
        "test_signup.cua.yaml::bad answer?chromium? FAILED*",
    ])
    result.stdout.fnmatch_lines([
        "test_signup.cua.yaml: test 'wrong heading', step 1 of 1: check: The heading says Log in",
        "CuaCheckFailed: CUA check failed: 'The heading says Log in'",
        "model's reason: the heading says Sign up, not Log in",
    ])
    result.stdout.fnmatch_lines([
        "test_signup.cua.yaml: test 'bad answer', step 1 of 1: ask: What is the heading?",
        "AssertionError: the answer 'Register' does not match expect: 'Sign up'",
    ])
    assert "yamltests.py" not in result.stdout.str()  # no traceback into the plugin


def test_selection_by_keyword_marker_and_node_id(yaml_suite):
    result = yaml_suite.runpytest_subprocess("-p", "no:cacheprovider", "-m", "smoke")
    result.assert_outcomes(passed=1)
    result = yaml_suite.runpytest_subprocess("-p", "no:cacheprovider", "-k", "heading")
    result.assert_outcomes(failed=1)
    result = yaml_suite.runpytest_subprocess("-p", "no:cacheprovider",
                                             "test_signup.cua.yaml::signs up[chromium]")
    result.assert_outcomes(passed=1)
    result = yaml_suite.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_signup.cua.yaml::signs up?chromium?",
                                 "test_signup.cua.yaml::wrong heading?chromium?",
                                 "test_signup.cua.yaml::bad answer?chromium?"])


def test_last_failed_reruns_only_the_failed_yaml_tests(yaml_suite):
    yaml_suite.runpytest_subprocess().assert_outcomes(passed=1, failed=2)
    result = yaml_suite.runpytest_subprocess("--lf", "-v")
    result.assert_outcomes(failed=2)
    assert "signs up" not in result.stdout.str()


@pytest.mark.parametrize(("content", "message"), [
    ("steps: [a, b", "invalid YAML"),
    ("name: x\nurl: /\n", "the file needs steps: a non-empty list of steps"),
    ("steps: [Do it]\ncolour: red\n", "the file has unknown key(s) colour; known keys: markers, "
                                       "max_steps, name, replay_dates, replay_timeout, "
                                       "safety_policy, steps, url, viewport, volatile"),
    ("steps:\n  - 42\n", "the file.steps[1] must be a string (an action) or a mapping"),
    ("steps:\n  - click: the button\n", "the file.steps[1] has keys ['click']; a step mapping "
                                        "takes exactly one of act, check, ask"),
    ("steps:\n  - check: x\n    expect: y\n", "the file.steps[1].expect is only for ask: steps"),
    ("steps: [a]\nviewport: big\n", "the file.viewport must be {width: W, height: H}"),
    ("tests:\n  - {name: a, steps: [x]}\n  - {name: a, steps: [y]}\n",
     "test names must be unique in a file: a"),
    ("", "the file is empty"),
])
def test_bad_files_are_collection_errors_naming_the_field(cua_pytester, content, message):
    (cua_pytester.path / "test_bad.cua.yaml").write_text(content)
    result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting test_bad.cua.yaml*"])
    assert message in result.stdout.str()
    assert "test_bad.cua.yaml:" in result.stdout.str()


def test_several_tests_in_a_tests_list():
    tests = yamltests.parse("tests:\n  - {name: one, steps: [a]}\n  - name: two\n    steps:\n"
                            "      - check: b\n      - {ask: c, expect: d}\n", "file")
    assert [t.name for t in tests] == ["one", "two"]
    assert [(s.kind, s.text, s.expect) for s in tests[1].steps] == [("check", "b", None),
                                                                     ("ask", "c", "d")]
    single = yamltests.parse("steps: [go]\nviewport: [800, 600]\nmax_steps: 5\n"
                             "volatile: ['#clock']\nreplay_timeout: 2\n", "test_x")
    assert single[0].name == "test_x" and single[0].viewport == {"width": 800, "height": 600}
    assert single[0].cua == {"max_steps": 5, "volatile": ["#clock"], "replay_timeout": 2}
    assert yamltests.answer_matches(" 3 left ", "3 left")
    assert yamltests.answer_matches("Welcome back, ada", "/back, \\w+/")
    assert not yamltests.answer_matches("3 left", "/^4/")


@pytest.fixture
def example_copy(cua_pytester: pytest.Pytester) -> pytest.Pytester:
    target = cua_pytester.path / "example_suite"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return cua_pytester


def test_example_suite_replays_offline_from_its_cassettes(example_copy):
    result = example_copy.runpytest_subprocess("-p", "no:cacheprovider", "example_suite")
    result.assert_outcomes(passed=10)  # Python, YAML and Gherkin tests
    result.stdout.fnmatch_lines(["*cassettes: 26 steps replayed (cache hits), 0 asked the model*"])


def test_replay_catches_a_changed_demo_app(example_copy):
    index = example_copy.path / "example_suite" / "app" / "index.html"
    index.write_text(index.read_text().replace(">Clear done<", ">Archive done<"))
    result = example_copy.runpytest_subprocess("-p", "no:cacheprovider", "example_suite",
                                               "--cua-replay-timeout=1")
    # The test that presses the button fails naming it; every step that saw the renamed
    # button fails too (a check's evidence, or the change an act step made by opening the
    # page it is on); tests on other pages still replay.
    result.assert_outcomes(passed=3, failed=7)
    result.stdout.fnmatch_lines(["*the page differs from the one the check was recorded on "
                                 '(waited 1 s): "Archive done" is shown where the recording had '
                                 '"Clear done"'])
    result.stdout.fnmatch_lines([
        "*CuaReplayMismatch: CUA replay: step 2 'Clear the done errands, confirming when asked' "
        "no longer matches the cassette:*",
        '*clicking button "Clear done" failed: there is no button "Clear done" on the page '
        '(waited 1 s); at its place is button "Archive done"',
    ])


def test_yaml_tests_run_under_xdist(yaml_suite):
    result = yaml_suite.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*test_signup.cua.yaml: test 'wrong heading', step 1 of 1*"])
