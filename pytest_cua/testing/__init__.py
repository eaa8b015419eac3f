"""Test support for pytest-cua: a scripted fake Responses API server and its fixture.

Enable the fixture with `pytest_plugins = ["pytest_cua.testing"]` in a conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .script import (
    ComputerCall,
    Fault,
    Turn,
    answer,
    click,
    computer_call,
    double_click,
    drag,
    fault,
    function_call,
    keypress,
    message,
    move,
    raw,
    reasoning,
    safety_check,
    screenshot,
    scroll,
    turn,
    type_text,
    verdict,
    wait,
)

__all__ = [
    "ComputerCall",
    "FakeResponsesServer",
    "Fault",
    "RecordedRequest",
    "Turn",
    "answer",
    "click",
    "computer_call",
    "cua_fake_server",
    "decode_image",
    "double_click",
    "drag",
    "fault",
    "function_call",
    "keypress",
    "message",
    "move",
    "raw",
    "reasoning",
    "safety_check",
    "screenshot",
    "scroll",
    "turn",
    "type_text",
    "verdict",
    "wait",
]

FAKE_API_KEY = "sk-fake-pytest-cua"
_SERVER_NAMES = ("FakeResponsesServer", "RecordedRequest", "decode_image")

if TYPE_CHECKING:
    from .server import FakeResponsesServer, RecordedRequest, decode_image


def __getattr__(name: str) -> Any:
    # The server validates against the openai SDK's types, whose import costs most of a
    # second: load it when a test uses the fake server, not whenever the plugin loads.
    if name in _SERVER_NAMES:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def center_of(page: object, selector: str) -> tuple[int, int]:
    """Viewport coordinates of the centre of an element, for scripting clicks on it."""
    box = page.locator(selector).bounding_box()  # type: ignore[attr-defined]
    if box is None:
        raise AssertionError(f"{selector} is not visible, so it has no position to click")
    return round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
_PROVIDER_VARS = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION",
                  "ANTHROPIC_AUTH_TOKEN", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI")
FAKE_GEMINI_KEY = "fake-gemini-pytest-cua"
FAKE_ANTHROPIC_KEY = "sk-ant-fake-pytest-cua"


@pytest.fixture
def cua_fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeResponsesServer]:
    """A fake model server for this test: OPENAI_BASE_URL/OPENAI_API_KEY and
    ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY point at it (pick the vendor with --cua-provider).

    Fails the test at teardown if the plugin broke the protocol.
    """
    from .server import FakeResponsesServer

    with FakeResponsesServer() as server:
        for name in _PROVIDER_VARS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)  # the SDK adds /v1/messages
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_ANTHROPIC_KEY)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)  # + /v1beta/models/...
        monkeypatch.setenv("GEMINI_API_KEY", FAKE_GEMINI_KEY)
        yield server
    server.assert_clean()
