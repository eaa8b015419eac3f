"""Export to plain Playwright: a recorded test graduates to a pytest-playwright module.

The task app of the verified-replay tests (a form, a list with checkboxes, a footer, an
About link; in the top page, a shadow root, a frame from another origin) is recorded
against the scripted model and exported with `--cua-export`; the exported module then runs
with the plugin disabled (`-p no:cua -p no:cua_bdd`), as plain pytest-playwright, against
the app as recorded, moved, and broken the ways verified replay catches.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from test_verified_replay import CONFTEST, TESTS, write_app

PLAIN = ("-p", "no:cua", "-p", "no:cua_bdd", "-p", "no:cacheprovider")


@pytest.fixture
def tasks(cua_pytester, monkeypatch):
    cua_pytester.mp = monkeypatch
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST)
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
    assert 'page.get_by_role("textbox", name="New task").fill("buy milk")' in exported
    assert 'page.get_by_role("checkbox", name="done").check()' in exported
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
        assert '.content_frame.get_by_role("checkbox", name="done").check()' in exported
    write_app(tasks, where, css="header {padding:30px 60px} nav, form, ul, footer "
                                "{margin-left:140px} #title {width:200px} "
                                "body {padding-top:140px}")
    plain(tasks, "exported/test_tasks.py").assert_outcomes(passed=1)  # moved 140 px down
    called = {}
    for name, (cfg, step) in BROKEN.items():
        write_app(tasks, where, **cfg)
        result = plain(tasks, "exported/test_tasks.py")
        result.assert_outcomes(failed=1)
        called[name] = failing_line(result, exported)
    assert called == {name: step for name, (_, step) in BROKEN.items()}
