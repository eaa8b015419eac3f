"""The harness of the replay tests: an inner suite recorded against the scripted model, then
replayed with no model and no credentials against variants of an app.

The app is a page the test writes into the pytester folder (`app.html`), served over HTTP
with the real component libraries of `tests/apps/node_modules` beside it (installed from
npm by the `component_libraries` fixture), so what is replayed is what users run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from inner import SCRIPTED_MODEL_FIXTURE

SERVER_CONFTEST = SCRIPTED_MODEL_FIXTURE + r'''
import functools, json, os, threading, time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

class Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/api/"):  # a backend as slow as the variant says
            time.sleep(float(os.environ.get("BACKEND_DELAY", "0")))
            body = json.dumps({"saved": os.environ.get("BACKEND_DROPS") != "1",
                               "at": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                   time.gmtime())}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

@pytest.fixture(scope="session")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory="."))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()

@pytest.fixture
def app(server, page):
    page.goto(f"http://127.0.0.1:{server}/app.html")
    page.wait_for_function("window.appReady === true")
    return page
'''

HELPERS = r'''
import os, pytest
from pytest_cua.testing import click, computer_call, keypress, turn, type_text, verdict

def centre(scope, selector):
    box = scope.locator(selector).first.bounding_box()
    return round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)

def scripted(model):
    """The model, answering as fast as the run says (0: at once, the hardest recording)."""
    if model is not None:
        model.delay = float(os.environ.get("MODEL_DELAY", "0"))
    return model
'''


def prepare(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tests: str,
            libraries: Path | None = None) -> pytest.Pytester:
    """An inner suite of `tests` (HELPERS come first), with the app server; the npm
    libraries served under /node_modules/."""
    pytester.mp = monkeypatch
    pytester.makeconftest((pytester.path / "conftest.py").read_text() + SERVER_CONFTEST)
    pytester.makepyfile(test_app=HELPERS + tests)
    if libraries is not None:
        (pytester.path / "node_modules").symlink_to(libraries, target_is_directory=True)
    return pytester


def write_app(pytester: pytest.Pytester, page: str, backend_delay: float = 0.0,
              backend_drops: bool = False, **cfg: object) -> None:
    """The app as the next run sees it: `page` with `%(cfg)s` standing for its variant."""
    pytester.mp.setenv("BACKEND_DELAY", str(backend_delay))
    pytester.mp.setenv("BACKEND_DROPS", "1" if backend_drops else "0")
    (pytester.path / "app.html").write_text(page.replace("%(cfg)s", json.dumps(cfg)))


def run(pytester: pytest.Pytester, mode: str, *args: str, delay: float = 0.0,
        scripted: bool = False, timeout: float = 3) -> pytest.RunResult:
    """An inner run; `record` is scripted (the model answering in `delay` s a turn), other
    modes have no model server and no credentials unless `scripted`."""
    pytester.mp.setenv("SCRIPTED", "1" if mode == "record" or scripted else "0")
    pytester.mp.setenv("MODEL_DELAY", str(delay))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--cua-cache={mode}",
                                         f"--cua-replay-timeout={timeout:g}", *args)


def cassette_file(pytester: pytest.Pytester, test: str = "test_app") -> Path:
    return next((pytester.path / "cua_cassettes").rglob(f"{test}*.yaml"))


def cassette(pytester: pytest.Pytester, test: str = "test_app") -> dict:
    return yaml.safe_load(cassette_file(pytester, test).read_text())


def failure_of(result: pytest.RunResult) -> str:
    out = result.stdout.str()
    return out[out.find("CuaReplayMismatch"):] if "CuaReplayMismatch" in out else out


def mismatch_step(result: pytest.RunResult) -> int | None:
    """The step number a failed replay names, None when it names none."""
    out = failure_of(result)
    marker = "CuaReplayMismatch: CUA replay: step "
    if marker not in out:
        return None
    return int(out.split(marker, 1)[1].split(" ", 1)[0])


def replays_right(pytester: pytest.Pytester, page: str, broken: dict[str, tuple[dict, int]]
                  ) -> None:
    """A recorded app called right: 3 replays as recorded and 3 with a backend slower than
    the replay pass; each broken variant ({"cfg": ..., backend settings}, the step that
    must fail) fails, naming that step."""
    for backend_delay in (0.0, 1.5):
        write_app(pytester, page, backend_delay=backend_delay)
        for _ in range(3):
            result = run(pytester, "replay")
            assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    for name, (variant, step) in broken.items():
        backend = {k: v for k, v in variant.items() if k != "cfg"}
        write_app(pytester, page, **backend, **variant.get("cfg", {}))
        result = run(pytester, "replay")
        assert result.parseoutcomes() == {"failed": 1}, (name, failure_of(result))
        assert mismatch_step(result) == step, (name, failure_of(result))
