"""Cassettes (design.md section 6): record against the fake server, then replay without it.

Each scenario runs a real inner suite through pytester with real Chromium: a recording run
with the fake server scripting the model, then runs with no server and no credentials, on
the page as recorded or changed (button renamed, moved, removed, result changed).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
import yaml

from inner import SCRIPTED_MODEL_FIXTURE
from pytest_cua._replay import cassettes

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Errands</title>
<style>body{font:16px sans-serif;margin:0} #item{position:absolute;left:20px;top:80px;width:200px}
#add{position:absolute;left:%(add_left)s;top:%(add_top)s;width:90px;height:30px}
#list{position:absolute;left:20px;top:140px}</style></head><body><h1>Errands</h1>
<input id="item" placeholder="New item" aria-label="New item">
%(button)s
<ul id="list"></ul>
<script>
document.getElementById('add') && document.getElementById('add').addEventListener('click', () => {
  const input = document.getElementById('item'), li = document.createElement('li');
  li.textContent = %(transform)s; document.getElementById('list').append(li); input.value = '';
});
</script></body></html>"""

ORIGINAL = {"add_left": "240px", "add_top": "78px", "transform": "input.value",
            "button": '<button id="add">Add</button>'}
ITEM = (120, 92)  # centre of the input
ADD = (285, 93)  # centre of the Add button as recorded

CONFTEST = SCRIPTED_MODEL_FIXTURE + """
import os
import pytest

"""

TESTS = """
import os
import pytest
from pytest_cua.testing import click, computer_call, turn, type_text, verdict, answer

PAGE = "file://" + os.path.join(os.path.dirname(__file__), "errands.html")
SCRIPTS = {
    "record": [turn(computer_call(click(120, 92))), turn(computer_call(type_text("milk"))),
               turn(verdict(True, "typed milk")),
               turn(computer_call(click(285, 93))), turn(verdict(True, "pressed Add")),
               turn(verdict(True, "milk is listed")),
               turn(answer("1"))],
    "heal": [turn(computer_call(click(285, 93))), turn(verdict(True, "pressed Create")),
             turn(verdict(True, "milk is listed")), turn(answer("1"))],
    "broken": [turn(verdict(False, "there is no Add button"))],
}

def test_errand(model, page, cua_agent):
    page.goto(PAGE)
    if model is not None:
        model.script(*SCRIPTS[os.environ["SCRIPT"]])
    cua_agent("Type milk into the new item field")
    cua_agent("Press the Add button")
    cua_agent.check("The list shows milk")
    assert cua_agent.ask("How many errands are listed?") == "1"
    if model is not None:
        with open("requests.txt", "w") as out:
            out.write(str(len(model.requests)))
"""


def write_page(pytester: pytest.Pytester, **changes: str) -> None:
    (pytester.path / "errands.html").write_text(PAGE % {**ORIGINAL, **changes})


@pytest.fixture
def suite(cua_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    cua_pytester.mp = monkeypatch
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST)
    cua_pytester.makepyfile(test_errands=TESTS)
    write_page(cua_pytester)
    return cua_pytester


def run(pytester: pytest.Pytester, mode: str, script: str | None = None, *args: str):
    """A subprocess run; `script` names the model turns to serve, None runs with no server."""
    pytester.mp.setenv("SCRIPTED", "1" if script else "0")
    pytester.mp.setenv("SCRIPT", script or "")
    (pytester.path / "requests.txt").unlink(missing_ok=True)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", f"--cua-cache={mode}",
                                         "--cua-replay-timeout=1", *args)


def requests_made(pytester: pytest.Pytester) -> int:
    path = pytester.path / "requests.txt"
    return int(path.read_text()) if path.exists() else 0


def cassette_file(pytester: pytest.Pytester):
    return pytester.path / "cua_cassettes" / "test_errands" / "test_errand[chromium].yaml"


def record(pytester: pytest.Pytester):
    result = run(pytester, "record", "record")
    result.assert_outcomes(passed=1)
    assert requests_made(pytester) == 7
    return cassette_file(pytester)


def test_record_then_replay_offline_with_zero_requests(suite):
    path = record(suite)
    data = yaml.safe_load(path.read_text())
    assert data["test"] == "test_errands.py::test_errand[chromium]"
    assert (data["model"], data["tool"], data["viewport"]) == ("gpt-5.4",
                                                               "ga", [1280, 720])
    first, second, check, ask = data["steps"]
    assert first["instruction"] == "Type milk into the new item field"
    click_input, type_milk = [a for t in first["turns"] for a in t["actions"]]
    assert click_input["target"]["role"] == "textbox"
    assert click_input["target"]["name"] == "New item"
    assert type_milk["action"] == {"type": "type", "text": "milk"}
    assert type_milk["target"]["selector"] == "#item"  # focus when typing
    press = second["turns"][0]["actions"][0]
    assert (press["target"]["role"], press["target"]["name"]) == ("button", "Add")
    assert check["finish"] == {"outcome": "verdict", "passed": True, "reason": "milk is listed"}
    assert "milk" in check["evidence"] and "Errands {bold}" in check["evidence"]
    assert "[address file errands.html]" in check["evidence"]
    assert first["change"]["appeared"][0].startswith('[input New item: "milk"]')
    assert second["change"]["appeared"][0] == "milk"
    assert ask["finish"]["answer"] == "1"
    text = path.read_text()
    assert "base64" not in text and "sk-" not in text and len(text) < 6000

    result = run(suite, "replay", None, "--cua-trail-dir=trails", "--junitxml=junit.xml")
    result.assert_outcomes(passed=1)  # no server, no credentials
    assert requests_made(suite) == 0
    result.stdout.fnmatch_lines([
        # the 3 turns that acted (the cassette keeps no turn that only gave a verdict)
        "1 tests with CUA steps: 4 steps, 0 model turns, 3 replayed turns, 0 input / 0 output "
        "tokens, cost $0.0000",
        "*cassettes: 4 steps replayed (cache hits), 0 asked the model (misses), 0 healed after "
        "a mismatch*"])
    assert path.read_text() == text  # replay never writes
    index = json.loads((suite.path / "trails" / "index.json").read_text())
    assert (index["totals"]["model_turns"], index["totals"]["replayed_turns"]) == (0, 3)
    assert "0 model turns, 3 replayed turns" in (suite.path / "trails/index.html").read_text()
    props = {p.get("name"): p.get("value")
             for p in ET.parse(suite.path / "junit.xml").iter("property")}
    assert (props["cua_turns"], props["cua_replayed_turns"]) == ("0", "3")

    live = run(suite, "record", "record", "--cua-trail-dir=trails")
    live.stdout.fnmatch_lines(["1 tests with CUA steps: 4 steps, 7 model turns, 0 replayed "
                               "turns, * input / * output tokens, cost $0.0*"])


def test_moved_button_replays_without_the_model(suite):
    record(suite)
    write_page(suite, add_left="600px", add_top="300px")
    result = run(suite, "replay", None, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*cua act #2 replayed turn 1: click (*) (element moved)*"])


def test_renamed_button_fails_replay_naming_the_element(suite):
    record(suite)
    write_page(suite, button='<button id="add">Create</button>')
    result = run(suite, "replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*CuaReplayMismatch: CUA replay: step 2 'Press the Add button' no longer matches the "
        "cassette:*",
        '*clicking button "Add" failed: there is no button "Add" on the page (waited 1 s); at '
        'its place is button "Create"',
        "*re-record with --cua-cache=record*",
    ])


def test_removed_button_fails_replay(suite):
    record(suite)
    write_page(suite, button="")
    result = run(suite, "replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*clicking button "Add" failed: there is no button "Add" on '
                                 "the page (waited 1 s); at its place is the page itself <html>",
                                 "*cassettes: 1 steps replayed (cache hits)*"])


def test_changed_result_fails_the_step_that_made_it(suite):
    record(suite)
    write_page(suite, transform="input.value.toUpperCase()")  # every action still matches
    result = run(suite, "replay")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*step 2 'Press the Add button' no longer matches the cassette:*",
        '*clicking button "Add" did not make the change it made when recorded (waited 1 s): '
        '"MILK" is shown where the recording had "milk"',
    ])


def test_auto_heals_the_changed_step_and_keeps_the_rest(suite):
    path = record(suite)
    before = yaml.safe_load(path.read_text())
    write_page(suite, button='<button id="add">Create</button>')
    result = run(suite, "auto", "heal", "-v")
    result.assert_outcomes(passed=1)
    assert requests_made(suite) == 4  # step 1 replayed; steps 2-4 through the model
    result.stdout.fnmatch_lines([
        '*cua act #2 healed through the model: clicking button "Add" failed: there is no '
        'button "Add"*',
        "*cassettes: 1 steps replayed (cache hits), 0 asked the model (misses), 3 healed*",
    ])
    after = yaml.safe_load(path.read_text())
    assert after["steps"][0] == before["steps"][0]  # the step that matched is kept as is
    healed = [a for t in after["steps"][1]["turns"] for a in t["actions"]]
    assert [a["target"]["name"] for a in healed] == ["Create"]
    assert after["steps"][1]["finish"]["reason"] == "pressed Create"
    assert any(line.startswith("Create {") for line in after["steps"][2]["evidence"])
    # and the healed cassette replays offline
    run(suite, "replay").assert_outcomes(passed=1)


def test_auto_never_overwrites_a_good_cassette_with_a_failed_run(suite):
    path = record(suite)
    text = path.read_text()
    write_page(suite, button='<button id="add">Create</button>')
    result = run(suite, "auto", "broken")  # step 2 heals, and the model says it cannot
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*model's reason: there is no Add button*"])
    assert path.read_text() == text


def test_corrupted_and_missing_cassettes_are_clear_errors(suite):
    result = run(suite, "replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CuaCassetteError: --cua-cache=replay cannot run "
                                 "test_errands.py::test_errand?chromium?: no cassette at *"
                                 "test_errand?chromium?.yaml; record it with "
                                 "--cua-cache=record*"])
    path = record(suite)
    path.write_text(path.read_text().replace("steps:", "steps: [oops", 1))
    result = run(suite, "replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CuaCassetteError: cassette *test_errand?chromium?.yaml is "
                                 "not usable: invalid YAML*re-record it with --cua-cache=record*"])
    path.write_text("version: 3\ntest: x\nmodel: m\ntool: preview\nsteps: 3\n")
    run(suite, "replay").stdout.fnmatch_lines(["*not usable: cassette.steps should be list*"])
    path.write_text("version: 1\ntest: x\nmodel: m\ntool: preview\nsteps: []\n")
    run(suite, "replay").stdout.fnmatch_lines([
        "*not usable: it was recorded by an older pytest-cua (version 1), which did not keep "
        "what act steps changed*re-record it with --cua-cache=record*"])
    path.write_text("version: 2\ntest: x\nmodel: m\ntool: preview\nsteps: []\n")
    run(suite, "replay").stdout.fnmatch_lines([
        "*not usable: it was recorded by an older pytest-cua (version 2), which read the page "
        "without ARIA states*re-record it with --cua-cache=record*"])


def test_other_settings_invalidate_the_cassette(suite):
    record(suite)
    result = run(suite, "replay", None, "--cua-model=other-model")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*recorded under other settings: model "
                                 "'gpt-5.4' (recorded) vs 'other-model' (now)*"])


def test_changed_test_code_is_reported(suite):
    record(suite)
    (suite.path / "test_errands.py").write_text(
        TESTS.replace("Press the Add button", "Click Add"))
    result = run(suite, "replay")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*step 2 act: 'Click Add' is not in *(the cassette has step 2 "
                                 "as act: 'Press the Add button'); the test changed*"])


XDIST_TESTS = """
import os, pytest
from pytest_cua.testing import click, computer_call, turn, verdict

PAGE = "file://" + os.path.join(os.path.dirname(__file__), "errands.html")

@pytest.mark.parametrize("n", range(6))
def test_many(n, model, page, cua_agent):
    page.goto(PAGE)
    if model is not None:
        model.script(turn(computer_call(click(120, 92))), turn(verdict(True, f"run {n}")))
    assert cua_agent(f"Click the field, run {n}").reason == f"run {n}"
"""


def test_xdist_recording_leaves_every_cassette_valid(suite):
    suite.makepyfile(test_many=XDIST_TESTS)
    result = run(suite, "record", "record", "-n", "2", "test_many.py")
    result.assert_outcomes(passed=6)
    files = sorted((suite.path / "cua_cassettes" / "test_many").glob("*.yaml"))
    assert len(files) == 6
    for path in files:
        loaded = cassettes.load(path)
        assert loaded is not None and re.search(r"\[chromium-\d\]", loaded.test)
    assert not list((suite.path / "cua_cassettes").rglob("*.tmp"))
    run(suite, "replay", None, "-n", "2", "test_many.py").assert_outcomes(passed=6)


def test_cassette_paths_are_safe_and_distinct(tmp_path):
    a = cassettes.cassette_path(tmp_path, "tests/test_a.py::TestX::test_b[chromium-a/b]")
    b = cassettes.cassette_path(tmp_path, "tests/test_a.py::TestX::test_b[chromium-a_b]")
    assert a != b and a.parent == tmp_path / "tests" / "test_a"
    assert cassettes.cassette_path(tmp_path, "x/test_y.cua.yaml::my test").parent.name == "test_y"
    assert cassettes.cassette_path(tmp_path, "../../etc/test_z.py::t").is_relative_to(tmp_path)


def test_fingerprint_comparisons():
    from pytest_cua._browser import fingerprint

    add = {"tag": "button", "role": "button", "name": "Add", "text": "Add", "selector": "#a"}
    assert fingerprint.differences(add, {**add, "selector": "#b", "box": [1, 2, 3, 4]}) == []
    assert fingerprint.differences(add, {**add, "name": "Create", "text": "Create"}) == [
        "name 'Add' -> 'Create'", "text 'Add' -> 'Create'"]
    assert fingerprint.differences(add, None) == ["no element there"]
    body = {"tag": "body", "role": "", "name": "", "text": ""}
    assert fingerprint.differences(body, {**body, "text": "anything"}) == []
    assert fingerprint.label(add) == 'button "Add"'
    assert fingerprint.label({"tag": "html"}) == "the page itself <html>"
    assert fingerprint.evidence_changes(["a", "b", "c"], ["a", "B", "c"]) == ["- b", "+ B"]
    many = fingerprint.evidence_changes([str(n) for n in range(30)], [])
    assert len(many) == 13 and many[-1] == "... and 18 more"
