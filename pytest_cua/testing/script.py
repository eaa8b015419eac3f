"""Building blocks for scripting the model's turns on the fake server.

A turn is what one model response contains. Actions are written once and rendered in the
shape the request asked for: `action` for the preview tool, `actions` for the GA tool.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


# ----------------------------------------------------------------------------- actions
def click(x: int, y: int, button: str = "left", keys: list[str] | None = None) -> dict:
    return _with_keys({"type": "click", "button": button, "x": x, "y": y}, keys)


def double_click(x: int, y: int, keys: list[str] | None = None) -> dict:
    return _with_keys({"type": "double_click", "x": x, "y": y}, keys)


def drag(*path: tuple[int, int], keys: list[str] | None = None) -> dict:
    return _with_keys({"type": "drag", "path": [{"x": x, "y": y} for x, y in path]}, keys)


def move(x: int, y: int, keys: list[str] | None = None) -> dict:
    return _with_keys({"type": "move", "x": x, "y": y}, keys)


def scroll(x: int, y: int, scroll_x: int = 0, scroll_y: int = 0,
           keys: list[str] | None = None) -> dict:
    return _with_keys(
        {"type": "scroll", "x": x, "y": y, "scroll_x": scroll_x, "scroll_y": scroll_y}, keys
    )


def type_text(text: str) -> dict:
    return {"type": "type", "text": text}


def keypress(*keys: str) -> dict:
    return {"type": "keypress", "keys": list(keys)}


def wait() -> dict:
    return {"type": "wait"}


def screenshot() -> dict:
    return {"type": "screenshot"}


def _with_keys(action: dict, keys: list[str] | None) -> dict:
    if keys:
        action["keys"] = list(keys)
    return action


# ----------------------------------------------------------------------------- output items
@dataclass
class ComputerCall:
    actions: list[dict]
    safety_checks: list[dict] = field(default_factory=list)
    force_shape: str | None = None  # "action" / "actions" / "none": ignore the request's tool


def computer_call(*actions: dict, safety_checks: list[dict] | None = None,
                  shape: str | None = None) -> ComputerCall:
    """A computer call; several actions are only valid for the GA tool (a batch)."""
    return ComputerCall(list(actions), list(safety_checks or []), shape)


def safety_check(code: str = "malicious_instructions", message: str | None = None,
                 id: str | None = None) -> dict:
    return {"id": id, "code": code, "message": message or f"{code} detected on screen"}


def verdict(passed: bool = True, reason: str = "done") -> dict:
    return function_call("cua_verdict", {"passed": passed, "reason": reason})


def answer(text: str) -> dict:
    return function_call("cua_answer", {"answer": text})


def function_call(name: str, arguments: Any) -> dict:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"type": "function_call", "name": name, "arguments": args}


def message(text: str) -> dict:
    return {"type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def reasoning(text: str) -> dict:
    return {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}


def raw(item: dict) -> dict:
    """An output item sent exactly as given, not checked against the SDK's types."""
    return {"__raw__": item}


# ----------------------------------------------------------------------------- turns
@dataclass
class Turn:
    """One scripted model response."""

    items: list[Any]
    input_tokens: int = 1000
    output_tokens: int = 50
    status: str = "completed"
    delay: float = 0.0


@dataclass
class Fault:
    """A scripted HTTP failure instead of a response (consumed like a turn)."""

    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def turn(*items: Any, input_tokens: int = 1000, output_tokens: int = 50,
         status: str = "completed", delay: float = 0.0) -> Turn:
    return Turn(list(items), input_tokens, output_tokens, status, delay)


def fault(status: int = 500, body: Any = None, headers: dict[str, str] | None = None,
          delay: float = 0.0) -> Fault:
    return Fault(status, body, dict(headers or {}), delay)
