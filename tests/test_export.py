"""Export to plain Playwright: a recorded test graduates to a pytest-playwright module.

The task app of the verified-replay tests (a form, a list with checkboxes, a footer, an
About link; in the top page, a shadow root, a frame from another origin) is recorded
against the scripted model and exported with `--cua-export`; the exported module then runs
with the plugin disabled (`-p no:cua -p no:cua_bdd`), as plain pytest-playwright, against
the app as recorded, moved, and broken the ways verified replay catches.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_verified_replay import CONFTEST, TESTS, write_app

PLAIN = ("-p", "no:cua", "-p", "no:cua_bdd", "-p", "no:cacheprovider")


# A YAML test starts on the task app too: opened, and scripted, by the inner conftest.
FLOW_CONFTEST = r'''
@pytest.fixture(autouse=True)
def flow_opened(request, server):
    if "test_flow" not in request.node.nodeid:
        return
    if os.environ.get("SCRIPTED") == "1":
        fake = request.getfixturevalue("cua_fake_server")
    page = request.getfixturevalue("page")
    page.goto(f"http://127.0.0.1:{server}/app.html")
    if os.environ.get("SCRIPTED") == "1":
        from pytest_cua.testing import click, computer_call, keypress, turn, type_text, verdict
        box = page.locator("#title").bounding_box()
        at = (round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2))
        fake.script(turn(computer_call(click(*at), type_text("buy milk"), keypress("ENTER"))),
                    turn(verdict(True, "added")), turn(verdict(True, "listed")))
'''

FLOW = """name: add a task
steps:
  - Add a task 'buy milk'
  - check: The list shows "buy milk"
"""

ROWS = r'''
import os
from pytest_cua.testing import click, computer_call, turn, type_text, verdict

PAGE = """<!doctype html><html><body style="margin:0;font:16px sans-serif">
<label>Password <input id="pw" type="password"></label>
<button id="go" onclick="out.textContent =
  [...pw.value].reverse().join('') === '2retnuh' ? 'Welcome' : 'Wrong'">
Sign in</button><p id="out"></p><ul>
<li>buy milk <button onclick="this.parentElement.remove()">Remove</button></li>
<li>walk dog <button onclick="this.parentElement.remove()">Remove</button></li></ul>
</body></html>"""


def centre(page, selector):
    box = page.locator(selector).bounding_box()
    return round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)


def test_rows(model, page, cua_agent):
    page.set_content(PAGE)
    if model is not None:
        model.script(turn(computer_call(click(*centre(page, "li:nth-child(2) button")))),
                     turn(verdict(True, "removed")),
                     turn(computer_call(click(*centre(page, "#pw")), type_text("{password}"),
                                        click(*centre(page, "#go")))),
                     turn(verdict(True, "signed in")))
    cua_agent("Remove 'walk dog'")
    cua_agent("Sign in with {password}", secrets={"password": os.environ["PASSWORD"]})
'''


@pytest.fixture
def tasks(cua_pytester, monkeypatch):
    cua_pytester.mp = monkeypatch
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST
                              + FLOW_CONFTEST)
    cua_pytester.makepyfile(test_tasks=TESTS)
    return cua_pytester


def record(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.mp.setenv("SCRIPTED", "1")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cua-cache=record",
                                         "--cua-export=exported", *args)


def plain(pytester: pytest.Pytester, *paths: str) -> pytest.RunResult:
    """The exported module run as plain pytest-playwright: no plugin, no model."""
    pytester.mp.setenv("SCRIPTED", "0")
    return pytester.runpytest_subprocess(*PLAIN, *paths)


def squashed(code: str) -> str:
    """Code without its layout: ruff may wrap a long line any way it likes."""
    return re.sub(r"[\s()]+", "", code)


def lint(path) -> None:
    """What ruff says of code it did not write: no undefined or unused names."""
    subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F,E9",
                    str(path)], check=True)


def failing_line(result: pytest.RunResult, exported: str) -> str:
    """The step (its comment) whose code the exported test failed in."""
    found = re.search(r"exported/test_tasks\.py:(\d+): ", result.stdout.str())
    assert found, result.stdout.str()
    lines = exported.splitlines()[:int(found.group(1))]
    return next(line.strip() for line in reversed(lines) if line.strip().startswith("# act:")
                or line.strip().startswith("# check:"))


def test_recorded_flow_exports_and_runs_without_the_plugin(tasks):
    write_app(tasks, "top")
    record(tasks).assert_outcomes(passed=1)
    exported = (tasks.path / "exported/test_tasks.py").read_text()
    print(exported)
    assert "cua_agent" not in exported
    for _ in range(3):
        plain(tasks, "exported/test_tasks.py").assert_outcomes(passed=1)
    assert "# act: Add a task 'buy milk'" in exported
    code = squashed(exported)
    assert squashed('page.get_by_role("textbox", name="New task").fill("buy milk")') in code
    assert squashed('page.get_by_role("checkbox", name="done").check()') in code
    assert '"text-decoration-line", "line-through"' in exported
    assert "def browser_context_args(browser_context_args):" in exported
    lint(tasks.path / "exported/test_tasks.py")


BROKEN = {  # variant of the app: the step the exported test must fail in
    "add handler does nothing": ({"addNever": True}, "# act: Add a task 'buy milk'"),
    "checked look removed by CSS": ({"css": "li.done label {text-decoration:none}"},
                                    "# act: Mark 'buy milk' as done"),
    "dead link": ({"aboutBreaks": True}, "# act: Open the About page"),
}


@pytest.mark.parametrize("where", ["top", "shadow", "frame"])
def test_export_passes_where_replay_passes_and_fails_where_it_fails(tasks, where):
    write_app(tasks, where)
    record(tasks).assert_outcomes(passed=1)
    path = tasks.path / "exported/test_tasks.py"
    exported = path.read_text()
    lint(path)
    if where == "frame":
        assert squashed('.content_frame.get_by_role("checkbox", name="done").check()') in \
            squashed(exported)
    write_app(tasks, where, css="header {padding:30px 60px} nav, form, ul, footer "
                                "{margin-left:140px} #title {width:200px} "
                                "body {padding-top:140px}")
    plain(tasks, "exported/test_tasks.py").assert_outcomes(passed=1)  # moved 140 px down
    called = {}
    for name, (cfg, _) in BROKEN.items():
        write_app(tasks, where, **cfg)
        result = plain(tasks, "exported/test_tasks.py")
        result.assert_outcomes(failed=1)
        called[name] = failing_line(result, exported)
    assert called == {name: step for name, (_, step) in BROKEN.items()}


def test_rows_scoped_secrets_from_the_environment_and_yaml(tasks):
    write_app(tasks, "top")
    tasks.mp.setenv("PASSWORD", "hunter2")
    tasks.makepyfile(test_rows=ROWS)
    (tasks.path / "test_flow.cua.yaml").write_text(FLOW)
    record(tasks, "test_rows.py", "test_flow.cua.yaml").assert_outcomes(passed=2)
    rows = (tasks.path / "exported/test_rows.py").read_text()
    print(rows)
    assert squashed('page.get_by_role("listitem").filter(has_text="walk dog Remove")'
                    '.get_by_role("button").click()') in squashed(rows)
    steps = rows[rows.index("# act: Remove 'walk dog'"):]
    assert ".nth(" not in steps and "nth-child" not in steps and "weak locator" not in steps
    assert squashed('fill(os.environ["PASSWORD"])') in squashed(rows)
    assert "hunter2" not in rows
    flow = (tasks.path / "exported/test_flow.py").read_text()
    print(flow)
    assert "def test_add_a_task(page: Page) -> None:" in flow
    lint(tasks.path / "exported/test_rows.py")
    lint(tasks.path / "exported/test_flow.py")
    plain(tasks, "exported/test_rows.py", "exported/test_flow.py").assert_outcomes(passed=2)
    tasks.mp.setenv("PASSWORD", "wrong")
    plain(tasks, "exported/test_rows.py").assert_outcomes(failed=1)


def test_old_cassette_exports_after_a_replay(tasks):
    """A cassette recorded before locators were kept: one replay names its elements."""
    write_app(tasks, "top")
    tasks.mp.setenv("SCRIPTED", "1")
    tasks.runpytest_subprocess("-p", "no:cacheprovider", "--cua-cache=record"
                               ).assert_outcomes(passed=1)
    cassette = next((tasks.path / "cua_cassettes").rglob("*.yaml"))
    text = cassette.read_text()
    assert "locator:" in text  # kept beside the fingerprint from now on
    old = "\n".join(line for line in text.splitlines()
                    if not re.match(r"\s*(locator|weak|checked|input): ", line))
    old = re.sub(r", (locator|checked|input): ('[^']*'|\"[^\"]*\"|\S+?)(?=[,}])", "", old)
    cassette.write_text(old)
    assert "locator" not in old
    tasks.mp.setenv("SCRIPTED", "0")
    tasks.runpytest_subprocess("-p", "no:cacheprovider", "--cua-cache=replay",
                               "--cua-export=exported").assert_outcomes(passed=1)
    exported = (tasks.path / "exported/test_tasks.py").read_text()
    assert squashed('page.get_by_role("checkbox", name="done").check()') in squashed(exported)
    plain(tasks, "exported/test_tasks.py").assert_outcomes(passed=1)


def test_the_example_suite_exports_and_runs_without_the_plugin(cua_pytester, monkeypatch):
    """Every kind of test the example suite has: Python with plain Playwright between the
    steps, a popup the agent followed, an in-page confirmation, a signed-in session, YAML,
    Gherkin; a test of the model's own safety refusal is left out, and says so."""
    cua_pytester.mp = monkeypatch
    shutil.copytree(Path(__file__).parent.parent / "example_suite",
                    cua_pytester.path / "example_suite")
    result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "example_suite",
                                               "--cua-export=exported")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["*Left out: test_injected_instructions_are_refused: its step*"])
    folder = cua_pytester.path / "exported/example_suite"
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.py"))
    assert names == ["conftest.py", "signed_in/conftest.py", "signed_in/test_my_errands.py",
                     "test_errands.py", "test_errands_feature.py", "test_filter.py",
                     "test_signin.py"]
    errands = (folder / "test_errands.py").read_text()
    assert "with page.expect_popup() as popup:" in errands
    assert "assert page.url.endswith(\"/settings.html\")" in errands  # was cua_agent.page
    assert "CuaSafetyCheckFailed" not in errands and "cua_agent" not in errands
    feature = (folder / "test_errands_feature.py").read_text()
    assert '@when(\'I add an errand "water the garden"\')' in feature
    assert (folder / "errands.feature").is_file()
    for path in folder.rglob("test_*.py"):
        lint(path)
    plain(cua_pytester, "exported/example_suite").assert_outcomes(passed=9)


def _target(locator: str, **more: object) -> dict:
    return {"tag": "button", "role": "button", "name": "x", "text": "", "locator": locator,
            **more}


def test_actions_are_written_as_a_person_would():
    """Each action of our vocabulary as the pytest-playwright call a reviewer expects."""
    from pytest_cua._export.code import Needs, step_code

    box = 'get_by_role("textbox", name="Note")'
    step = {"kind": "act", "instruction": "Do it all\nin two lines", "exported": {
        "secrets": ["token"], "asserts": [
            {"role": "appeared", "line": "Saved at 10:42 {bold}", "path": "/body/p[1]",
             "locator": 'get_by_text("Saved at")', "text": "Saved at 10:42",
             "looks": [{"locator": 'get_by_text("Saved at")', "prop": "font-weight",
                        "value": "700"}]},
            {"role": "gone", "line": "Draft", "path": ""},
            {"role": "appeared", "line": "[address /done#top]", "path": "address"}]},
        "actions": [
        {"action": {"type": "click", "x": 1, "y": 1, "keys": ["SHIFT"]},
         "target": _target('get_by_role("button", name="Add")')},
        {"action": {"type": "click", "x": 1, "y": 1, "button": "right"},
         "target": _target('get_by_role("button", name="Menu")')},
        {"action": {"type": "double_click", "x": 1, "y": 1},
         "target": _target('get_by_text("Title")')},
        {"action": {"type": "type", "text": "ab"}, "target": {"tag": "input", "locator": box}},
        {"action": {"type": "type", "text": "c{token}"},
         "target": {"tag": "input", "locator": box}},
        {"action": {"type": "keypress", "keys": ["CTRL", "a"]},
         "target": {"tag": "input", "locator": box}},
        {"action": {"type": "scroll", "x": 1, "y": 1, "scroll_y": 300}, "target": None},
        {"action": {"type": "click", "x": 1, "y": 1},
         "target": _target('get_by_role("checkbox", name="done")', input="checkbox",
                           checked=True)},
        {"action": {"type": "drag", "path": [{"x": 1, "y": 1}, {"x": 9, "y": 9}]},
         "target": _target('get_by_text("card")', to='get_by_text("Done column")')},
        {"action": {"type": "click", "x": 100, "y": 50}, "scale": [0.5, 0.5],
         "target": {"tag": "canvas", "locator": 'locator("canvas")'}},
        {"action": {"type": "click", "x": 1, "y": 1},
         "target": _target('get_by_role("button", name="Delete")'),
         "dialog": {"accept": True}},
        {"action": {"type": "click", "x": 1, "y": 1},
         "target": _target('get_by_role("link", name="Help")'), "opened_page": True},
        {"action": {"type": "navigate", "url": "http://app.test/base/next"}, "target": None},
    ]}
    needs = Needs()
    code = step_code(step, needs, "http://app.test/base")
    assert code.lines == [
        "# act: Do it all",
        "# act: in two lines",
        'page.get_by_role("button", name="Add").click(modifiers=["Shift"])',
        'page.get_by_role("button", name="Menu").click(button="right")',
        'page.get_by_text("Title").dblclick()',
        'page.get_by_role("textbox", name="Note").fill("abc" + os.environ["TOKEN"])',
        'page.get_by_role("textbox", name="Note").press("Control+a")',
        'page.get_by_role("checkbox", name="done").uncheck()',
        'page.get_by_text("card").drag_to(page.get_by_text("Done column"))',
        "# click on no element a locator can name: at the recorded point",
        "page.mouse.click(50, 25)",
        'page.once("dialog", lambda dialog: dialog.accept())',
        'page.get_by_role("button", name="Delete").click()',
        "with page.expect_popup() as popup:",
        '    page.get_by_role("link", name="Help").click()',
        "page = popup.value",
        'page.goto("/next")',
        'expect(page.get_by_text("Saved at")).to_contain_text(re.compile("Saved at .+?"))',
        'expect(page.get_by_text("Saved at")).to_have_css("font-weight", "700")',
        'expect(page.get_by_text("Draft", exact=True)).to_have_count(0)',
        'expect(page).to_have_url(re.compile("/done#top$"))',
    ]
    assert needs.os and needs.re and needs.env == {"TOKEN"}


def test_a_select_ends_on_its_option_and_an_autocomplete_gets_keys():
    from pytest_cua._export.code import Needs, step_code

    size = 'get_by_label("Size")'
    city = 'get_by_role("combobox", name="City")'
    step = {"kind": "act", "instruction": "Pick size L and the city Paris", "exported": {
        "asserts": [{"role": "appeared", "line": '[select Size: "L"]', "path": "/body/select[1]",
                     "locator": size, "text": "", "looks": []}]},
        "actions": [
        {"action": {"type": "click", "x": 1, "y": 1},
         "target": {"tag": "select", "locator": size}},
        {"action": {"type": "keypress", "keys": ["DOWN"]},
         "target": {"tag": "select", "locator": size}},
        {"action": {"type": "keypress", "keys": ["ENTER"]},
         "target": {"tag": "select", "locator": size}},
        {"action": {"type": "type", "text": "Par"},
         "target": {"tag": "input", "role": "combobox", "locator": city}},
    ]}
    assert step_code(step, Needs()).lines == [
        "# act: Pick size L and the city Paris",
        'page.get_by_label("Size").select_option("L")',
        'page.get_by_role("combobox", name="City").press_sequentially("Par")',
        'expect(page.get_by_label("Size")).to_have_value("L")',
    ]


def test_an_older_playwright_is_said_and_still_exports(tasks):
    """Without Locator.normalize() (Playwright before 1.59) locators come from the
    fingerprint, marked weak, and the run says why; the export still passes."""
    write_app(tasks, "top")
    conftest = tasks.path / "conftest.py"
    conftest.write_text(conftest.read_text() + "\nfrom playwright.sync_api import Locator\n"
                        "del Locator.normalize  # as Playwright before 1.59\n")
    result = record(tasks)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*this Playwright has no Locator.normalize()*"])
    exported = (tasks.path / "exported/test_tasks.py").read_text()
    assert "# weak locator: built from the fingerprint" in exported
    assert squashed('get_by_role("checkbox", name="done", exact=True).check()') in \
        squashed(exported)
    conftest.write_text(conftest.read_text().replace("del Locator.normalize", "pass"))
    plain(tasks, "exported/test_tasks.py").assert_outcomes(passed=1)
