"""Browsers the test process does not launch: a Playwright browser server, and Chromium
over the Chrome DevTools protocol (what cloud browser services offer).

Each is started here as a separate process; the inner suite reaches it only through the
conftest overrides a user would write (pytest-playwright's `connect_options`, or a
`browser` fixture that calls `connect_over_cdp`), and runs the core flow, a check on the
page evidence and a native dialog through it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

INNER = """
import os
import pytest
from playwright.sync_api import expect
from pytest_cua.testing import center_of, click, computer_call, keypress, turn, type_text, verdict

def test_core_flow_through_a_remote_browser(cua_fake_server, page, cua_agent):
    page.goto(os.environ["SITE"] + "/form.html")
    name, agree = center_of(page, "#name"), center_of(page, "#agree")
    cua_fake_server.script(turn(computer_call(click(*name))),
                           turn(computer_call(type_text("Ada"))),
                           turn(computer_call(click(*agree))), turn(verdict(True, "done")),
                           turn(verdict(True, "Ada and the ticked box are shown")))
    cua_agent("Type Ada as the name and accept the terms")
    expect(page.locator("#name")).to_have_value("Ada")
    result = cua_agent.check("The name is Ada and the terms are accepted")
    shown = " ".join(result.evidence).replace("I agree", "agree")
    assert '[input Name: "Ada"]' in shown and "[checkbox agree: checked]" in shown

def test_a_dialog_through_a_remote_browser(cua_fake_server, page, cua_agent):
    page.goto(os.environ["SITE"] + "/dialogs.html")
    cua_fake_server.script(turn(computer_call(click(*center_of(page, "#delete")))),
                           turn(computer_call(keypress("ENTER"))), turn(verdict(True, "ok")))
    cua_agent("Delete all errands, confirming")
    assert page.inner_text("#result") == "deleted"
"""

SERVER_CONFTEST = """
import json
import os
import pytest

@pytest.fixture(scope="session")
def connect_options(browser_type_launch_args):
    '''pytest-playwright connects to this Playwright browser server instead of launching.
    The server launches the browser: it takes the launch options in Playwright's own
    (camelCase) names, here the system Chromium of the conftest above.'''
    options = {"executablePath": browser_type_launch_args.get("executable_path"),
               "args": browser_type_launch_args.get("args", [])}
    return {"endpoint": os.environ["PW_SERVER"],
            "headers": {"x-playwright-launch-options": json.dumps(options)}}
"""

CDP_CONFTEST = """
import os
import pytest

@pytest.fixture(scope="session")
def browser(playwright):
    '''A Chromium that runs elsewhere, reached over the Chrome DevTools protocol.'''
    browser = playwright.chromium.connect_over_cdp(os.environ["CDP_ENDPOINT"])
    yield browser
    browser.close()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def browser_server() -> Iterator[str]:
    """`playwright run-server`, a process of its own, launching the system Chromium."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "playwright", "run-server", "--port",
                                str(port), "--host", "127.0.0.1", "--unsafe"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        _stop(process)
        pytest.fail("the Playwright browser server did not start within 30 s")
    yield f"ws://127.0.0.1:{port}/"
    _stop(process)


@pytest.fixture
def cdp_chromium(tmp_path) -> Iterator[str]:
    """Debian's Chromium with a remote debugging port, a process of its own."""
    executable = os.environ.get("CUA_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if executable is None:
        pytest.fail("no chromium on PATH: apt-get install -y chromium (CI's .ci/run does)")
    args = [executable, "--headless=new", "--remote-debugging-port=0",
            f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run", "--disable-gpu"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    process = subprocess.Popen([*args, "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    endpoint, deadline = None, time.monotonic() + 30
    assert process.stderr is not None
    while endpoint is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            endpoint = found.group(1)
        elif not line and process.poll() is not None:
            break
    if endpoint is None:
        _stop(process)
        pytest.fail("Chromium did not report a DevTools endpoint within 30 s")
    yield endpoint
    _stop(process)


def _run(pytester: pytest.Pytester, conftest: str) -> pytest.RunResult:
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + conftest)
    pytester.makepyfile(test_inner=INNER)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", timeout=240)


def test_through_a_playwright_browser_server(cua_pytester, browser_server, monkeypatch):
    monkeypatch.setenv("PW_SERVER", browser_server)
    _run(cua_pytester, SERVER_CONFTEST).assert_outcomes(passed=2)


def test_through_chromium_over_cdp(cua_pytester, cdp_chromium, monkeypatch):
    monkeypatch.setenv("CDP_ENDPOINT", cdp_chromium)
    _run(cua_pytester, CDP_CONFTEST).assert_outcomes(passed=2)
