"""The example suite: a small demo app, served locally, driven by natural-language steps.

How it runs (see README.md here):
- by default, offline from the committed cassettes in `cassettes/` (`--cua-cache=replay`
  without credentials, `auto` with them);
- `--cua-cache=record` re-records: against the real model when OPENAI_API_KEY or
  AZURE_OPENAI_ENDPOINT is set, otherwise against the scripted stand-in model of
  `demo_model.py`, served by pytest_cua.testing's fake Responses API server.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from demo_model import DEMO_TURNS

from pytest_cua import Settings

HERE = Path(__file__).parent
APP = HERE / "app"
CASSETTES = HERE / "cassettes"


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


@pytest.fixture
def cua_settings(cua_settings: Settings) -> Settings:
    """This suite's cassettes, and replay by default when there is no model to ask."""
    changes: dict[str, str] = {"cache_dir": str(CASSETTES)}
    if "cache" not in cua_settings.sources:  # nobody chose: marker, option, ini or env
        changes["cache"] = "auto" if _has_credentials() else "replay"
    return dataclasses.replace(cua_settings, **changes)


@pytest.fixture(autouse=True)
def demo_model(request: pytest.FixtureRequest,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[object | None]:
    """Without credentials, a run that asks the model gets the scripted demo model."""
    # Gherkin scenarios ask for the agent in their steps, not as an argument. Without the
    # plugin (a test exported with --cua-export, run with -p no:cua) nothing asks.
    asks = request.config.pluginmanager.has_plugin("cua") and (
        "cua_agent" in request.fixturenames or request.node.originalname in DEMO_TURNS)
    if (_has_credentials() or not asks
            or request.getfixturevalue("cua_settings").cache == "replay"):
        yield None
        return
    turns = DEMO_TURNS.get(request.node.originalname)
    if turns is None:
        pytest.fail(f"no scripted demo turns for {request.node.originalname!r}; add them to "
                    "example_suite/demo_model.py or set OPENAI_API_KEY to use a real model")
    from pytest_cua.testing import FakeResponsesServer  # only when a model is needed

    with FakeResponsesServer() as server:
        # Seconds per model turn, to feel (and benchmark) a real model's latency offline.
        server.delay = float(os.environ.get("DEMO_MODEL_DELAY") or 0)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-offline")
        server.script(*turns)
        yield server
    server.assert_clean()
