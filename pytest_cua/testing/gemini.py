"""The fake server's Gemini route: `/v1beta/models/{model}:generateContent`.

Requests are validated with `google-genai`'s own types (every content, the tools) and the
protocol's rules: every function call of the last model turn answered, in order, by a
function response of the same name (and id) in the next user turn, computer calls' responses
carrying the page URL and a real screenshot. Scripted turns, written once in our action
vocabulary, are rendered as Gemini's predefined browser functions on its 0-999 grid.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
from collections.abc import Callable
from typing import Any

from google.genai import types
from PIL import Image
from pydantic import ValidationError

from .script import ComputerCall, Turn

PREDEFINED = {"click_at", "hover_at", "type_text_at", "key_combination", "scroll_document",
              "scroll_at", "drag_and_drop", "navigate", "go_back", "go_forward",
              "wait_5_seconds", "open_web_browser", "search"}
_KEYS = {"enter": "Enter", "return": "Enter", "esc": "Escape", "escape": "Escape",
         "ctrl": "Control", "control": "Control", "shift": "Shift", "alt": "Alt",
         "cmd": "Meta", "meta": "Meta", "space": "Space", "tab": "Tab",
         "backspace": "Backspace", "delete": "Delete", "arrowleft": "ArrowLeft",
         "arrowright": "ArrowRight", "arrowup": "ArrowUp", "arrowdown": "ArrowDown"}


def _validate(model: Any, value: Any, where: str) -> list[str]:
    try:
        model.model_validate_json(json.dumps(value))  # JSON: bytes arrive as base64
    except ValidationError as exc:
        return [f"{where}: {e['msg']} at {'.'.join(map(str, e['loc']))} (SDK type "
                f"{model.__name__})" for e in exc.errors()[:5]]
    return []


def _standard_b64(data: str) -> str:
    """The SDK sends bytes URL-safe base64 encoded; images elsewhere use the standard one."""
    return data.replace("-", "+").replace("_", "/")


def _blob(part: Any) -> dict | None:
    """A part's inline data (proto JSON takes both spellings; the SDK sends both)."""
    if not isinstance(part, dict):
        return None
    return part.get("inlineData") or part.get("inline_data")


def _images(part: dict) -> list[dict]:
    """A part's screenshots: its own inline data, or those of a function response."""
    if _blob(part):
        return [part]
    return [p for p in (part.get("functionResponse") or {}).get("parts") or [] if _blob(p)]


def _image_size(part: dict) -> tuple[int, int]:
    blob = _blob(part) or {}
    raw = base64.b64decode(_standard_b64(blob.get("data") or ""), validate=True)
    with Image.open(io.BytesIO(raw)) as img:
        img.load()
        return img.size


def check_request(body: Any) -> list[str]:
    """Everything wrong with a generateContent request."""
    if not isinstance(body, dict):
        return ["request body is not a JSON object"]
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return ["request: 'contents' must be a non-empty list"]
    errors: list[str] = []
    for n, content in enumerate(contents):
        errors += _validate(types.Content, content, f"contents[{n}]")
    tools = body.get("tools") or []
    for n, tool in enumerate(tools):
        errors += _validate(types.Tool, tool, f"tools[{n}]")
    computer: list[Any] = [t.get("computerUse") for t in tools
                           if isinstance(t, dict) and "computerUse" in t]
    if len(computer) != 1 or computer[0].get("environment") != "ENVIRONMENT_BROWSER":
        errors.append("request: expected one computerUse tool with ENVIRONMENT_BROWSER")
    if errors:
        return errors
    roles = [c.get("role") for c in contents]
    if roles[0] != "user" or any(a == b for a, b in itertools.pairwise(roles)):
        errors.append(f"request: contents must alternate user/model from a user turn: {roles}")
    last_model = max((i for i, r in enumerate(roles) if r == "model"), default=None)
    if last_model is not None:
        errors += _check_answers(contents[last_model], contents[last_model + 1:])
    for content in contents:
        for part in content.get("parts") or []:
            for image in _images(part):
                try:
                    _image_size(image)
                except Exception as exc:
                    errors.append(f"screenshot is not a real image: {exc}")
    return errors


def _check_answers(model_turn: dict, after: list[dict]) -> list[str]:
    calls = [p["functionCall"] for p in model_turn.get("parts") or [] if "functionCall" in p]
    if not calls:
        return []
    if not after:
        return ["the model's function calls were not answered"]
    answers = [p["functionResponse"] for p in after[0].get("parts") or []
               if "functionResponse" in p]
    errors = []
    if [c.get("name") for c in calls] != [a.get("name") for a in answers[:len(calls)]]:
        errors.append(f"function calls {[c.get('name') for c in calls]} must be answered in "
                      f"order by function responses of the same name, got "
                      f"{[a.get('name') for a in answers]}")
        return errors
    for call, answer in zip(calls, answers, strict=False):
        if call.get("id") and answer.get("id") != call["id"]:
            errors.append(f"function response for {call['name']} has id {answer.get('id')!r}, "
                          f"the call had {call['id']!r}")
        if call.get("name") in PREDEFINED and not (answer.get("response") or {}).get("url"):
            errors.append(f"function response for {call['name']} carries no 'url'")
    # Each response may carry its screenshot; the newest must, whatever the history bound.
    if any(c.get("name") in PREDEFINED for c in calls) and not any(
            _blob(p) for a in answers for p in a.get("parts") or []):
        errors.append("the function responses to the computer calls carry no screenshot")
    return errors


def _last_size(body: dict) -> tuple[int, int]:
    """The size of the newest screenshot: what the model's grid coordinates are over."""
    for content in reversed(body.get("contents") or []):
        for part in reversed(content.get("parts") or []):
            inner = _images(part)
            if inner:
                return _image_size(inner[-1])
    return (1000, 1000)


def gemini_call(action: dict, size: tuple[int, int],
                point: list[int]) -> tuple[str, dict]:
    """One action of our vocabulary as a predefined function call on the 0-999 grid;
    `point` is where the pointer last was (typing goes there)."""
    width, height = size

    def grid(x: float, y: float) -> dict:
        return {"x": round(x * 1000 / width), "y": round(y * 1000 / height)}

    kind = action.get("type")
    if "x" in action and "y" in action:
        point[:] = [action["x"], action["y"]]
    if kind == "click":
        button = action.get("button", "left")
        if button in ("back", "forward"):
            return ("go_back" if button == "back" else "go_forward"), {}
        if button != "left" or action.get("keys"):
            raise AssertionError(f"Gemini has no click with button {button!r} or held keys")
        return "click_at", grid(action["x"], action["y"])
    if kind == "move":
        return "hover_at", grid(action["x"], action["y"])
    if kind == "type":
        return "type_text_at", {**grid(*point), "text": action["text"], "press_enter": False,
                                "clear_before_typing": False}
    if kind == "keypress":
        return "key_combination", {"keys": "+".join(
            _KEYS.get(k.lower(), k.upper() if len(k) == 1 else k) for k in action["keys"])}
    if kind == "scroll":
        dx, dy = action.get("scroll_x", 0), action.get("scroll_y", 0)
        direction = ("down" if dy > 0 else "up") if dy else ("right" if dx > 0 else "left")
        magnitude = round(abs(dy) * 1000 / height) if dy else round(abs(dx) * 1000 / width)
        return "scroll_at", {**grid(action["x"], action["y"]), "direction": direction,
                             "magnitude": magnitude}
    if kind == "drag":
        start, end = action["path"][0], action["path"][-1]
        target = grid(end["x"], end["y"])
        return "drag_and_drop", {**grid(start["x"], start["y"]),
                                 "destination_x": target["x"], "destination_y": target["y"]}
    if kind == "navigate":
        return "navigate", {"url": action["url"]}
    if kind == "wait":
        return "wait_5_seconds", {}
    if kind == "screenshot":
        return "open_web_browser", {}
    return str(kind), {k: v for k, v in action.items() if k != "type"}  # unknown: as given


def build_reply(body: dict, turn: Turn, next_id: Callable[[str], str],
                point: list[int]) -> dict:
    """A scripted turn as a generateContent reply, built with the SDK's own type."""
    size = _last_size(body)
    parts: list[dict] = []
    for item in turn.items:
        if isinstance(item, dict) and "__raw__" in item:
            parts.append(item["__raw__"])
        elif isinstance(item, ComputerCall):
            for n, action in enumerate(item.actions):
                name, args = gemini_call(action, size, point)
                if n == 0 and item.safety_checks:
                    check = item.safety_checks[0]
                    args["safety_decision"] = {"decision": "require_confirmation",
                                               "explanation": check.get("message", "")}
                parts.append({"functionCall": {"name": name, "args": args,
                                               "id": next_id("fc")}})
        elif item.get("type") == "function_call":
            parts.append({"functionCall": {"name": item["name"],
                                           "args": json.loads(item["arguments"]),
                                           "id": next_id("fc")}})
        elif item.get("type") == "message":
            parts += [{"text": part["text"]} for part in item["content"]]
        elif item.get("type") == "reasoning":
            parts += [{"text": part["text"], "thought": True} for part in item["summary"]]
    finish = {"refusal": "SAFETY", "incomplete": "MAX_TOKENS"}.get(turn.status, "STOP")
    reply = {"candidates": [{"content": {"role": "model", "parts": parts},
                             "finishReason": finish, "index": 0}],
             "usageMetadata": {"promptTokenCount": turn.input_tokens,
                               "candidatesTokenCount": turn.output_tokens,
                               "totalTokenCount": turn.input_tokens + turn.output_tokens},
             "responseId": next_id("gen"), "modelVersion": "fake"}
    if any("__raw__" in i for i in turn.items if isinstance(i, dict)):
        return reply
    return json.loads(types.GenerateContentResponse.model_validate_json(json.dumps(reply))
                      .model_dump_json(by_alias=True, exclude_none=True))


def image_urls(body: Any) -> list[str]:
    """The screenshots of a generateContent request as data URLs, in order."""
    urls = []
    for content in (body or {}).get("contents", []) if isinstance(body, dict) else []:
        for part in content.get("parts") or []:
            for image in _images(part):
                blob = _blob(image) or {}
                mime = blob.get("mimeType") or blob.get("mime_type")
                urls.append(f"data:{mime};base64,{_standard_b64(blob.get('data') or '')}")
    return urls


def texts(body: Any) -> list[str]:
    """What the model was told this turn: the last user content's texts and responses."""
    contents = (body or {}).get("contents", []) if isinstance(body, dict) else []
    if not contents:
        return []
    out = []
    for part in contents[-1].get("parts") or []:
        if "text" in part:
            out.append(part["text"])
        response = (part.get("functionResponse") or {}).get("response") or {}
        if "error" in response or "output" in response:
            out.append(str(response.get("error") or response.get("output")))
    return out
