"""Real-world pages: an app in a cross-origin iframe and a form of web components.

Each scenario is recorded against the fake server, replayed offline with no server and no
credentials, then replayed on a changed copy of the app: the change sits inside the frame
or inside a shadow root, and the replay must fail naming what changed, exactly as it does
on a flat page. The pages are served by two local servers: the host page on 127.0.0.1 and
the embedded app on localhost, another site, so Chromium runs it out of process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from inner import SCRIPTED_MODEL_FIXTURE

PAGES = Path(__file__).parent / "pages"

CONFTEST = SCRIPTED_MODEL_FIXTURE + '''
import functools, os, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
import pytest

class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # echoes an upload
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

def serve(host):
    handler = functools.partial(Quiet, directory=os.getcwd())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://{host}:{httpd.server_address[1]}"

@pytest.fixture(scope="session")
def origins():
    """The host page's origin and the embedded app's (another site)."""
    (top, top_url), (app, app_url) = serve("127.0.0.1"), serve("localhost")
    yield top_url, app_url
    top.shutdown(); app.shutdown()

def centre(locator):
    box = locator.bounding_box()  # in the top page's viewport, frames included
    return round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
'''

FRAME_TEST = '''
from playwright.sync_api import expect
from pytest_cua.testing import click, computer_call, turn, type_text, verdict
from conftest import centre

def test_coupon(model, origins, page, cua_agent):
    top, app = origins
    page.goto(top + "/embed.html?embed=" + app)
    shop = page.frame_locator("#shop")
    shop.locator("#apply").wait_for()
    if model is not None:
        model.script(turn(computer_call(click(*centre(shop.locator("#coupon"))))),
                     turn(computer_call(type_text("SAVE10"))), turn(verdict(True, "typed")),
                     turn(computer_call(click(*centre(shop.locator("#apply"))))),
                     turn(verdict(True, "applied")), turn(verdict(True, "10% off is shown")))
    cua_agent("Enter the coupon SAVE10")
    cua_agent("Apply the coupon")
    # No waiting here: the step ends only once the frame's delayed update has happened.
    assert shop.locator("#status").inner_text().startswith("Coupon SAVE10 applied")
    cua_agent.check("The shop says the coupon is applied")
'''

SHADOW_TEST = '''
from pytest_cua.testing import click, computer_call, turn, type_text, verdict
from conftest import centre

def test_subscribe(model, origins, page, cua_agent):
    top, _ = origins
    page.goto(top + "/components.html")
    if model is not None:
        model.script(turn(computer_call(click(*centre(page.locator("#email input"))))),
                     turn(computer_call(type_text("ada@example.com"))),
                     turn(computer_call(click(*centre(page.locator("#send"))))),
                     turn(verdict(True, "subscribed")), turn(verdict(True, "thanks shown")))
    cua_agent("Subscribe ada@example.com to the newsletter")
    assert page.locator("#thanks p").inner_text() == "Thanks, ada@example.com is subscribed"
    cua_agent.check("The page thanks ada@example.com")
'''

SCENARIOS = {
    "cross-origin frame": {
        "test": FRAME_TEST, "pages": ["embed.html", "shop.html"], "requests": 6,
        "node": "test_coupon[chromium]",
        "changes": [
            # A control inside the frame renamed: the pressing step names it and its frame.
            ("shop.html", ">Apply</button>", ">Redeem</button>",
             ["*CuaReplayMismatch*step 2 'Apply the coupon'*",
              '*clicking button "Apply" in frame "Shop" (/shop.html) failed: there is no button '
              '"Apply" in frame "Shop" (/shop.html) on the page (waited 1 s); at its place is '
              'button "Redeem" in frame "Shop" (/shop.html)*']),
            # What the frame shows after applying changed: the step that applied it fails.
            ("shop.html", "10% off", "5% off",
             ["*CuaReplayMismatch*step 2 'Apply the coupon'*",
              '*"Coupon SAVE10 applied: 5% off" in frame "Shop" (/shop.html) is shown where the '
              'recording had "Coupon SAVE10 applied: 10% off"*']),
        ],
    },
    "shadow DOM form": {
        "test": SHADOW_TEST, "pages": ["components.html"], "requests": 5,
        "node": "test_subscribe[chromium]",
        "changes": [
            # The label of a web-component input (its <input> is in a shadow root).
            ("components.html", 'label="Email"', 'label="E-mail address"',
             ["*CuaReplayMismatch*step 1 'Subscribe ada@example.com to the newsletter'*",
              '*textbox "Email" failed: there is no textbox "Email" on the page (waited 1 s)*'
              'textbox "E-mail address"*']),
            # The slotted text of a web-component button.
            ("components.html", ">Subscribe</fancy-button>", ">Sign up</fancy-button>",
             ['*CuaReplayMismatch*',
              '*clicking button "Subscribe" failed: there is no button "Subscribe" on the page '
              '(waited 1 s); at its place is button "Sign up"*']),
        ],
    },
}


@pytest.fixture(params=list(SCENARIOS))
def scenario(request, cua_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    spec = SCENARIOS[request.param]
    cua_pytester.mp = monkeypatch
    cua_pytester.makeconftest((cua_pytester.path / "conftest.py").read_text() + CONFTEST)
    cua_pytester.makepyfile(test_app=spec["test"])
    for name in spec["pages"]:
        shutil.copy(PAGES / name, cua_pytester.path / name)
    return cua_pytester, spec


def run(pytester: pytest.Pytester, mode: str, scripted: bool):
    pytester.mp.setenv("SCRIPTED", "1" if scripted else "0")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", f"--cua-cache={mode}",
                                         "--cua-replay-timeout=1", timeout=240)


def test_record_replay_and_changed_app(scenario):
    pytester, spec = scenario
    recorded = run(pytester, "record", scripted=True)
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cua_cassettes" / "test_app" / f"{spec['node']}.yaml"
    data = yaml.safe_load(cassette.read_text())
    targets = [a.get("target") for s in data["steps"] for t in s["turns"] for a in t["actions"]]
    if "frame" in spec["test"]:
        # Every action inside the frame names it; the evidence includes the frame's text.
        assert all(t["frames"] == [{"name": "Shop", "path": "/shop.html", "selector": "#shop"}]
                   for t in targets)
        shop = '[frame "Shop" (/shop.html)] '
        evidence = data["steps"][2]["evidence"]
        assert shop + "Coupon SAVE10 applied: 10% off" in evidence
        assert [line.split(" {")[0] for line in evidence if line.startswith(shop)][:3] == [
            shop + "Shop", shop + "Apply", shop + "Coupon SAVE10 applied: 10% off"]
        assert shop + "Coupon SAVE10 applied: 10% off" in data["steps"][1]["change"]["appeared"]
    else:
        assert [t["selector"] for t in targets] == ["#email >>> #f", "#email >>> #f",
                                                    "#send >>> button"]
        assert (targets[0]["name"], targets[2]["name"]) == ("Email", "Subscribe")
        assert any(line.startswith('[input Email: "ada@example.com"] {') and
                   "in <fancy-field>" in line for line in data["steps"][1]["evidence"])

    replayed = run(pytester, "replay", scripted=False)  # no server, no credentials
    replayed.assert_outcomes(passed=1)

    original = {name: (pytester.path / name).read_text() for name in spec["pages"]}
    for name, old, new, expected in spec["changes"]:
        assert old in original[name]
        (pytester.path / name).write_text(original[name].replace(old, new))
        changed = run(pytester, "replay", scripted=False)
        changed.assert_outcomes(failed=1)
        changed.stdout.fnmatch_lines(expected)
        (pytester.path / name).write_text(original[name])


UPLOAD_TEST = """
import os
from pathlib import Path
from pytest_cua.testing import click, computer_call, turn, verdict
from conftest import centre

def test_upload(model, origins, page, cua_agent):
    page.goto(origins[0] + "/files.html")
    if model is not None:
        model.script(turn(computer_call(click(*centre(page.locator("#file"))))),
                     turn(computer_call(click(*centre(page.locator("#send"))))),
                     turn(verdict(True, "sent")))
    offered = Path(os.environ["OFFER"])
    cua_agent("Send the notes", files=[offered])
    assert page.inner_text("#echo") == "server received " + offered.name + ": " + \\
        offered.read_text()
"""


def test_upload_recorded_and_replayed(cua_pytester, monkeypatch, tmp_path):
    """A cassette keeps which offered file went into the chooser; a replay offering another
    file fails instead of uploading something the recording never saw."""
    pytester = cua_pytester
    pytester.mp = monkeypatch
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + CONFTEST)
    pytester.makepyfile(test_app=UPLOAD_TEST)
    shutil.copy(PAGES / "files.html", pytester.path / "files.html")
    notes, other = tmp_path / "notes.txt", tmp_path / "other.txt"
    notes.write_text("milk, eggs")
    other.write_text("something else")

    monkeypatch.setenv("OFFER", str(notes))
    run(pytester, "record", scripted=True).assert_outcomes(passed=1)
    cassette = pytester.path / "cua_cassettes" / "test_app" / "test_upload[chromium].yaml"
    step = yaml.safe_load(cassette.read_text())["steps"][0]
    assert step["turns"][0]["actions"][0]["files"] == ["notes.txt"]
    # The chooser's file by name only, never its contents; what the page then shows (this
    # app echoes the upload) is the step's outcome, like any text on the page.
    assert "milk" not in yaml.safe_dump(step["turns"])
    assert any("notes.txt: milk, eggs" in line for line in step["change"]["appeared"])

    run(pytester, "replay", scripted=False).assert_outcomes(passed=1)

    monkeypatch.setenv("OFFER", str(other))
    changed = run(pytester, "replay", scripted=False)
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*CuaReplayMismatch*step 1 'Send the notes'*",
                                  "*when recorded, the file chooser got notes.txt, now "
                                  "other.txt (files offered now: other.txt (14 bytes))*"])


DIALOG_TEST = """
from pytest_cua.testing import click, computer_call, keypress, turn, verdict
from conftest import centre

def test_delete(model, origins, page, cua_agent):
    page.goto(origins[0] + "/dialogs.html")
    if model is not None:
        model.script(turn(computer_call(click(*centre(page.locator("#delete"))))),
                     turn(computer_call(keypress("ENTER"))), turn(verdict(True, "deleted")))
    cua_agent("Delete all errands, confirming")
    assert page.inner_text("#result") == "deleted"
"""


def test_dialog_answer_recorded_and_replayed(cua_pytester, monkeypatch):
    """A cassette keeps a dialog's text and the model's answer on the action that opened it;
    a replay answers it the same way, and fails when the dialog now says something else."""
    pytester = cua_pytester
    pytester.mp = monkeypatch
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + CONFTEST)
    pytester.makepyfile(test_app=DIALOG_TEST)
    original = (PAGES / "dialogs.html").read_text()
    (pytester.path / "dialogs.html").write_text(original)

    run(pytester, "record", scripted=True).assert_outcomes(passed=1)
    cassette = pytester.path / "cua_cassettes" / "test_app" / "test_delete[chromium].yaml"
    turns = yaml.safe_load(cassette.read_text())["steps"][0]["turns"]
    assert [a["action"]["type"] for t in turns for a in t["actions"]] == ["click"]  # no Enter
    assert turns[0]["actions"][0]["dialog"] == {"type": "confirm",
                                                "message": "Delete all errands?",
                                                "accept": True}

    run(pytester, "replay", scripted=False).assert_outcomes(passed=1)

    (pytester.path / "dialogs.html").write_text(
        original.replace("Delete all errands?", "Delete everything forever?"))
    changed = run(pytester, "replay", scripted=False)
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines([
        "*CuaReplayMismatch*step 1 'Delete all errands, confirming'*",
        "*the confirm dialog says 'Delete everything forever?'; when recorded, a confirm dialog "
        "said 'Delete all errands?'*"])
