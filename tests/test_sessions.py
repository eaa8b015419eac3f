"""Sign in once per session, reuse the browser storage state in every test.

The pytest way: a session fixture signs in (plain Playwright here; it is setup, not the
thing under test) and saves the context's storage state, and an override of
pytest-playwright's `browser_context_args` hands that state to every test's context. The
account page sends a visitor without the session cookie and profile back to the sign-in
form, so a test that passes was really signed in. Run with `-n 2`: each worker signs in
once, cassettes record and replay as usual.
"""

from __future__ import annotations

import shutil

from inner import SCRIPTED_MODEL_FIXTURE

CONFTEST = SCRIPTED_MODEL_FIXTURE + '''
import os
import pytest

SITE = os.environ["SITE"]

@pytest.fixture(scope="session")
def signed_in_state(browser, tmp_path_factory):
    """Sign in once per session (once per xdist worker) and keep the storage state."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(SITE + "/signin.html")
    page.fill("#user", "ada")
    page.fill("#password", "lovelace")
    page.click("button")
    page.wait_for_url("**/account.html")
    path = tmp_path_factory.mktemp("auth") / "state.json"
    context.storage_state(path=path)
    context.close()
    with open("sign-ins.log", "a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
    return str(path)

@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, signed_in_state):
    return {**browser_context_args, "storage_state": signed_in_state}
'''

TESTS = '''
import pytest
from pytest_cua.testing import center_of, click, computer_call, turn, type_text, verdict
from conftest import SITE

@pytest.mark.parametrize("note", ["milk", "eggs", "bread", "tea"])
def test_note(model, page, cua_agent, note):
    page.goto(SITE + "/account.html")
    assert page.inner_text("#who") == "Signed in as ada"  # not sent to the sign-in form
    if model is not None:
        model.script(turn(computer_call(click(*center_of(page, "#note")))),
                     turn(computer_call(type_text(note))),
                     turn(computer_call(click(*center_of(page, "#save")))),
                     turn(verdict(True, "saved")))
    cua_agent(f"Save the note {note}")
    assert page.inner_text("#saved") == f"Saved for ada: {note}"
'''


def test_sign_in_once_per_worker_and_reuse_it(cua_pytester, monkeypatch):
    pytester = cua_pytester
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + CONFTEST)
    pytester.makepyfile(test_account=TESTS)

    def run(mode: str, scripted: bool):
        monkeypatch.setenv("SCRIPTED", "1" if scripted else "0")
        (pytester.path / "sign-ins.log").unlink(missing_ok=True)
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                             f"--cua-cache={mode}", timeout=240)

    recorded = run("record", scripted=True)
    recorded.assert_outcomes(passed=4)
    sign_ins = (pytester.path / "sign-ins.log").read_text().split()
    assert 1 <= len(sign_ins) <= 2 and len(set(sign_ins)) == len(sign_ins)  # once per worker
    assert len(list((pytester.path / "cua_cassettes").rglob("*.yaml"))) == 4

    shutil.rmtree(pytester.path / "test-results", ignore_errors=True)
    replayed = run("replay", scripted=False)  # no server, no credentials
    replayed.assert_outcomes(passed=4)
    assert len((pytester.path / "sign-ins.log").read_text().split()) <= 2
