"""Fixtures for pytest-cua's own tests: local pages over HTTP and pytester runs."""

from __future__ import annotations

import fcntl
import functools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from redis_server import start_redis
from vendors import VENDORS

PAGES = Path(__file__).parent / "pages"
APPS = Path(__file__).parent / "apps"  # package.json of the real component libraries
ROOT_CONFTEST = Path(__file__).parent.parent / "conftest.py"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):  # /slow?ms=300: an API that takes its time
            time.sleep(int(self.path.partition("ms=")[2] or 300) / 1000)
            self._send(b'{"status": "ready"}', "application/json")
            return
        if self.path.startswith("/download/"):  # a page file as an attachment, like an export
            name = self.path.rsplit("/", 1)[1]
            self._send((PAGES / name).read_bytes(), "application/octet-stream",
                       {"Content-Disposition": f'attachment; filename="{name}"'})
            return
        super().do_GET()

    def do_POST(self) -> None:
        if self.path == "/upload":  # echoes the received bytes: proves what was uploaded
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(body, "application/octet-stream")
            return
        self.send_error(404)

    def _send(self, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL of a local HTTP server for tests/pages."""
    handler = functools.partial(_QuietHandler, directory=str(PAGES))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cua_pytester(pytester: pytest.Pytester, site: str,
                 monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs launch the system Chromium and know the local site's URL."""
    shutil.copy(ROOT_CONFTEST, pytester.path / "conftest.py")
    monkeypatch.setenv("SITE", site)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT",
                 "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("CUA_"):
            monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture(params=list(VENDORS))
def vendor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once per vendor dialect and tool version: one scenario, written once in
    our action vocabulary, rendered by the fake server in each vendor's wire format. Use it
    before `cua_agent` (e.g. `@pytest.mark.usefixtures("vendor")`)."""
    for name, value in VENDORS[request.param].items():
        monkeypatch.setenv(name, value)
    return request.param



@pytest.fixture(scope="session")
def component_libraries() -> Path:
    """tests/apps/node_modules: the real component libraries (Shoelace, Bootstrap, Swagger
    UI) the replay tests build apps from, installed from npm on first use at the versions
    tests/apps/package-lock.json pins. No npm is a failure that says so, never a skip."""
    folder = APPS / "node_modules"
    wanted = json.loads((APPS / "package.json").read_text())["dependencies"]
    with open(APPS / ".install.lock", "w") as lock:  # xdist workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all((folder / name / "package.json").is_file() for name in wanted):
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("these tests need npm (Node.js) to install the component "
                            "libraries of tests/apps/package.json: apt-get install -y npm, "
                            "or run `npm ci` in tests/apps", pytrace=False)
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                                  cwd=APPS, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                pytest.fail(f"`npm ci` in {APPS} failed:\n{done.stdout}\n{done.stderr}",
                            pytrace=False)
    return folder


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The Redis the quota tests share: the one `.ci/run` started (REDIS_TEST_URL), else
    one started here for the session."""
    import os

    if os.environ.get("REDIS_TEST_URL"):
        yield os.environ["REDIS_TEST_URL"]
        return
    process, url = start_redis()
    yield url
    process.terminate()
    process.wait(10)
