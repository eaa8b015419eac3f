"""The example suite: a small demo app, served locally, driven by natural-language steps.

With OPENAI_API_KEY or AZURE_OPENAI_ENDPOINT set, the steps go to the real model. Without
them, a scripted stand-in model (pytest_cua.testing's fake Responses API server, replaying
turns written down in `demo_model.py`) answers, so the suite runs offline with no key.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from demo_model import DEMO_TURNS

from pytest_cua.testing import FakeResponsesServer

APP = Path(__file__).parent / "app"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    """The demo app on a free local port (overrides pytest-base-url's --base-url)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=APP))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _has_credentials() -> bool:
    return bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("AZURE_OPENAI_ENDPOINT"))


@pytest.fixture(autouse=True)
def demo_model(request: pytest.FixtureRequest,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResponsesServer | None]:
    """Without credentials, answer as the scripted demo model (see demo_model.py)."""
    if _has_credentials() or "cua_agent" not in request.fixturenames:
        yield None
        return
    turns = DEMO_TURNS.get(request.node.originalname)
    if turns is None:
        pytest.fail(f"no scripted demo turns for {request.node.originalname}; add them to "
                    "example_suite/demo_model.py or set OPENAI_API_KEY to use a real model")
    with FakeResponsesServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-offline")
        server.script(*turns)
        yield server
    server.assert_clean()
