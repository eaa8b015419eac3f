"""Gherkin through pytest-bdd: steps with no Python definition run through the agent.

A real inner pytest run collects a feature file the pytest-bdd way, records against the
fake model, then replays offline with no model at all; real Chromium throughout.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

HARD_TIMEOUT = 300

FEATURE = '''
@smoke
Feature: Errands
  Background:
    Given the errands page is open

  Scenario: Add an errand
    When I add the errand "buy milk"
    Then the list shows "buy milk"

  @outline
  Scenario Outline: Add one of several
    When I add the errand "<name>"
    And I add the errand "soap"
    Then the list shows "<name>"

    Examples:
      | name  |
      | bread |
      | eggs  |

  Scenario: Nothing added yet
    Then the list is empty

  Scenario: A note and a table
    When I add these errands:
      | name | shop   |
      | tea  | corner |
    And I write the note:
      """
      remember the milk
      """

  Scenario: A step that says nothing
    When ...
'''

MODULE = '''
import os
import pytest
from pytest_bdd import given, scenarios
from pytest_cua.testing import click, computer_call, turn, type_text, verdict

scenarios("errands.feature")

APP = """<!doctype html><html><body style="margin:0;font:16px sans-serif">
<input id="name" aria-label="Errand"
  style="position:absolute;left:10px;top:10px;width:200px;height:30px">
<button id="add" style="position:absolute;left:220px;top:10px;width:80px;height:34px"
  onclick="const li = document.createElement('li'); li.textContent = name.value;
           list.append(li); name.value = ''">Add</button>
<ul id="list" style="position:absolute;top:50px;left:10px"></ul>
<textarea id="note" aria-label="Note"
  style="position:absolute;left:10px;top:300px;width:300px;height:60px"></textarea>
</body></html>"""

USED = []

@given("the errands page is open")
def open_app(page):
    USED.append("python")
    page.set_content(APP)
    assert page.locator("#add").is_visible()


def add(name):
    return [turn(computer_call(click(110, 25), type_text(name), click(260, 27))),
            turn(verdict(True, f"added {name}"))]

SCRIPTS = {
    "test_add_an_errand": [*add("buy milk"), turn(verdict(True, "buy milk is listed"))],
    "test_add_one_of_several[bread]": [*add("bread"), *add("soap"),
                                       turn(verdict(True, "bread is listed"))],
    "test_add_one_of_several[eggs]": [*add("eggs"), *add("soap"),
                                      turn(verdict(True, "eggs is listed"))],
    # with the conftest.py step definition: the adds run in Python, the check asks
    "conftest:test_add_one_of_several[bread]": [turn(verdict(True, "bread is listed"))],
    "conftest:test_add_one_of_several[eggs]": [turn(verdict(True, "eggs is listed"))],
    "test_nothing_added_yet": [turn(verdict(False, "the list is not empty: it shows a ghost"))],
    "test_a_note_and_a_table": [*add("tea"), turn(computer_call(click(150, 330),
        type_text("remember the milk"))), turn(verdict(True, "note written"))],
    "test_a_step_that_says_nothing": [],
}

@pytest.fixture(autouse=True)
def model(request):
    if os.environ.get("SCRIPTED") == "1":
        name = request.node.name
        if "add_in_python" in request.config.pluginmanager.getplugin(
                str(request.config.rootpath / "conftest.py")).__dict__:
            name = "conftest:" + name
        request.getfixturevalue("cua_fake_server").script(*SCRIPTS[name])
    yield
    assert USED, "the Python step definition was not used"
'''


@pytest.fixture
def suite(cua_pytester):
    cua_pytester.makefile(".feature", errands=FEATURE)
    cua_pytester.makepyfile(test_errands=MODULE)
    return cua_pytester


def _cases(path) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in ET.parse(path).iter("testcase")}


def test_a_feature_records_and_replays_with_no_python_steps_but_one(suite, monkeypatch):
    monkeypatch.setenv("SCRIPTED", "1")
    recorded = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rA", "--cua-cache=record", "--junitxml=record.xml",
        "--cua-trail-dir=trails", timeout=HARD_TIMEOUT)
    # 1 + 2 outline rows + the failing check + the note + the empty step = 6 tests
    recorded.assert_outcomes(passed=4, failed=1, errors=1)
    out = recorded.stdout.str()
    assert ('Feature "Errands", scenario "Nothing added yet", step "Then the list is empty" '
            "failed") in out
    assert "the list is not empty: it shows a ghost" in out
    assert "Gherkin step '...' says nothing to do or check" in out
    cases = _cases(suite.path / "record.xml")
    assert cases["test_a_step_that_says_nothing"].find("error") is not None

    # The doc string and the table reached the model's step text (kept in the cassette).
    cassettes = "\n".join(p.read_text() for p in (suite.path / "cua_cassettes").rglob("*.y*ml"))
    assert "I add these errands:\n| name | shop | \n" not in cassettes  # rows, not reflowed
    assert "| tea | corner |" in cassettes and "remember the milk" in cassettes
    assert "I add the errand \"bread\"" in cassettes  # the outline's value, substituted

    monkeypatch.delenv("SCRIPTED")
    replayed = suite.runpytest_subprocess(
        "-p", "no:cacheprovider", "-rA", "--cua-cache=replay", "-k", "not nothing and not says",
        timeout=HARD_TIMEOUT)
    replayed.assert_outcomes(passed=4)
    replayed.stdout.fnmatch_lines(["*0 model turns, * replayed turns*"])


CONFTEST_STEP = """

from pytest_bdd import parsers, when

@when(parsers.parse('I add the errand "{name}"'))
def add_in_python(page, name):
    page.fill("#name", name)
    page.click("#add")
    open("used-conftest-step", "a").write(name + "\\n")
"""


def test_tags_select_and_a_conftest_step_wins_over_the_model(suite, monkeypatch):
    with (suite.path / "conftest.py").open("a") as conftest:
        conftest.write(CONFTEST_STEP)
    monkeypatch.setenv("SCRIPTED", "1")
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "-m", "outline",
                                        timeout=HARD_TIMEOUT)
    result.assert_outcomes(passed=2)  # the two rows of the outline, nothing else
    # Both When steps of each row ran in Python; only the Then asked the model.
    assert sorted((suite.path / "used-conftest-step").read_text().split()) == [
        "bread", "eggs", "soap", "soap"]
    result.stdout.fnmatch_lines(["*2 tests with CUA steps: 2 steps, 2 model turns*"])
