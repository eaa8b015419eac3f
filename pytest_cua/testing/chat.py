"""The fake server's chat completions route: `/v1/chat/completions`, as vLLM serves it.

Requests are validated with the `openai` SDK's own chat types (`CompletionCreateParams`),
images must be base64 data URLs of real images, the newest screenshot must be in the
newest message that carries one, and no request may hold more images than the server's
cap (`IMAGE_LIMIT`, vLLM's `--limit-mm-per-prompt image=5`). Scripted turns, written once
in our action vocabulary, are rendered in the family's real output grammar: UI-TARS's
`Thought:`/`Action:` text with points in smart-resized pixels, Qwen's `<tool_call>` JSON
(or parsed `tool_calls`, with `server.chat_tool_calls = True`) on its grid or pixels.
The family is the one the served model name identifies (`families.family_for`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from openai.types.chat import ChatCompletion
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from pydantic import TypeAdapter, ValidationError

from .._providers import families
from .script import ComputerCall, Turn

IMAGE_LIMIT = 5
_PARAMS = TypeAdapter(CompletionCreateParamsNonStreaming)


def _images(body: dict) -> list[tuple[int, Any]]:
    """(message index, data URL) of every image part, in order."""
    found = []
    for index, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                found.append((index, (part.get("image_url") or {}).get("url")))
    return found


def image_urls(body: dict) -> list[str]:
    return [url for _, url in _images(body)]


def texts(body: dict) -> list[str]:
    """The texts this request adds: those after the model's last reply (the system prompt
    and the history are resent every time)."""
    messages = list(body.get("messages") or [])
    replies = [i for i, m in enumerate(messages) if isinstance(m, dict)
               and m.get("role") in ("assistant", "system")]
    found = []
    for message in messages[replies[-1] + 1 if replies else 0:]:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            found.append(content)
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                found.append(part.get("text", ""))
    return found


def check_request(body: Any, decode: Callable[[Any], tuple[str, tuple[int, int]]]) -> list[str]:
    if not isinstance(body, dict):
        return ["request body is not a JSON object"]
    errors = []
    try:
        _PARAMS.validate_python(body)
    except ValidationError as exc:
        errors += [f"chat request: {e['msg']} at {'.'.join(map(str, e['loc']))} (SDK type "
                   "CompletionCreateParams)" for e in exc.errors()[:5]]
    try:
        families.family_for("auto", str(body.get("model", "")))
    except families.UnknownFamily as exc:
        errors.append(f"fake chat server: {exc}")
    images = _images(body)
    if len(images) > IMAGE_LIMIT:
        errors.append(f"{len(images)} images in one prompt; the server takes at most "
                      f"{IMAGE_LIMIT} (--limit-mm-per-prompt image={IMAGE_LIMIT})")
    for _, url in images:
        try:
            decode(url)
        except ValueError as exc:
            errors.append(f"image part: {exc}")
    messages = body.get("messages") or []
    if not messages or not isinstance(messages[0], dict) or messages[0].get("role") != "system":
        errors.append("the first message must be the family's system prompt")
    return errors


_KINDS = (("This is a check", "check"), ("This is a question", "ask"),
          ("When the step is done", "act"))


def _kind(body: dict) -> str:
    """The step kind, from the newest step prompt in the conversation (its ending line)."""
    for message in reversed(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        parts = content if isinstance(content, list) else [{"text": str(content or "")}]
        text = " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))
        for marker, kind in _KINDS:
            if marker in text:
                return kind
    return "act"


def _size(body: dict, decode: Callable[[Any], tuple[str, tuple[int, int]]]) -> tuple[int, int]:
    images = _images(body)
    return decode(images[-1][1])[1] if images else (1280, 720)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")


def _ui_tars(family: families.Family, action: dict, size: tuple[int, int]) -> str:
    def box(point: dict) -> str:
        x, y = families.from_pixels(family, point["x"], point["y"], size)
        return f"'<|box_start|>({x},{y})<|box_end|>'"

    kind = action["type"]
    if kind == "click" and action.get("button", "left") in ("left", "right") \
            and not action.get("keys"):
        name = "click" if action.get("button", "left") == "left" else "right_single"
        return f"{name}(start_box={box(action)})"
    if kind == "double_click" and not action.get("keys"):
        return f"left_double(start_box={box(action)})"
    if kind == "drag":
        return f"drag(start_box={box(action['path'][0])}, end_box={box(action['path'][-1])})"
    if kind == "keypress":
        return f"hotkey(key='{' '.join(k.lower() for k in action['keys'])}')"
    if kind == "type":
        return f"type(content='{_quote(action['text'])}')"
    if kind == "scroll":
        dx, dy = action.get("scroll_x", 0), action.get("scroll_y", 0)
        direction = ("down" if dy > 0 else "up") if dy else ("right" if dx > 0 else "left")
        return f"scroll(start_box={box(action)}, direction='{direction}')"
    if kind == "wait":
        return "wait()"
    raise ValueError(f"UI-TARS has no action for {action!r}")


_QWEN = {("click", "left"): "left_click", ("click", "right"): "right_click",
         ("click", "middle"): "middle_click", ("double_click", None): "double_click",
         ("triple_click", None): "triple_click", ("move", None): "mouse_move"}


def _qwen(family: families.Family, action: dict, size: tuple[int, int]) -> list[dict]:
    def point(p: dict) -> list[int]:
        return list(families.from_pixels(family, p["x"], p["y"], size))

    kind = action["type"]
    button = {"wheel": "middle"}.get(action.get("button", "left"), action.get("button", "left"))
    key = (kind, button if kind == "click" else None)
    if key in _QWEN and not action.get("keys"):
        return [{"action": _QWEN[key], "coordinate": point(action)}]
    if kind == "drag":
        return [{"action": "mouse_move", "coordinate": point(action["path"][0])},
                {"action": "left_click_drag", "coordinate": point(action["path"][-1])}]
    if kind == "keypress":
        return [{"action": "key", "keys": [k.lower() for k in action["keys"]]}]
    if kind == "type":
        return [{"action": "type", "text": action["text"]}]
    if kind == "scroll":
        dx, dy = action.get("scroll_x", 0), action.get("scroll_y", 0)
        if dy:
            return [{"action": "scroll", "pixels": -dy, "coordinate": point(action)}]
        return [{"action": "hscroll", "pixels": dx, "coordinate": point(action)}]
    if kind == "wait":
        return [{"action": "wait", "time": action.get("ms", 1000) / 1000}]
    raise ValueError(f"Qwen's computer_use has no action for {action!r}")


def _ending(family: families.Family, item: dict, kind: str) -> tuple[str, list[dict]]:
    """Our verdict or answer as the family says it: (thought, calls or UI-TARS action)."""
    args = json.loads(item["arguments"])
    if item["name"] == "cua_answer":
        text = args["answer"]
        if family.grammar == "ui-tars":
            return "I have the answer.", [{"ui-tars": f"finished(content='{_quote(text)}')"}]
        return "I have the answer.", [{"action": "answer", "text": text}]
    passed, reason = args["passed"], args["reason"]
    if family.grammar == "qwen":
        return reason, [{"action": "terminate", "status": "success" if passed else "failure"}]
    if kind == "check":
        verdict = f"{'PASS' if passed else 'FAIL'}: {reason}"
        return reason, [{"ui-tars": f"finished(content='{_quote(verdict)}')"}]
    return reason, [{"ui-tars": f"finished(content='{_quote(reason)}')" if passed
                     else "call_user()"}]


def build_reply(body: dict, turn: Turn, next_id: Callable[[str], str],
                decode: Callable[[Any], tuple[str, tuple[int, int]]],
                tool_calls: bool = False) -> dict:
    """A ChatCompletion in the family's grammar for one scripted turn, SDK-validated."""
    family = families.family_for("auto", str(body.get("model", "")))
    size, kind = _size(body, decode), _kind(body)
    thoughts: list[str] = []
    calls: list[Any] = []
    text_only: list[str] = []
    for item in turn.items:
        if isinstance(item, ComputerCall):
            for action in item.actions:
                calls += [{"ui-tars": _ui_tars(family, action, size)}] \
                    if family.grammar == "ui-tars" else _qwen(family, action, size)
        elif isinstance(item, dict) and item.get("type") == "function_call":
            thought, ending = _ending(family, item, kind)
            thoughts.append(thought)
            calls += ending
        elif isinstance(item, dict) and item.get("type") == "message":
            text_only.append(item["content"][0]["text"])
        elif isinstance(item, dict) and item.get("type") == "reasoning":
            thoughts.append(item["summary"][0]["text"])
        else:
            raise ValueError(f"the chat route cannot serve {item!r}")
    message: dict[str, Any] = {"role": "assistant"}
    if text_only:  # a raw reply, exactly as scripted (malformed output tests)
        message["content"] = "\n".join(text_only)
    elif family.grammar == "ui-tars":
        actions = "\n\n".join(c["ui-tars"] for c in calls)
        message["content"] = f"Thought: {' '.join(thoughts) or 'Next action.'}\nAction: {actions}"
    elif tool_calls:
        message["content"] = " ".join(thoughts) or None
        message["tool_calls"] = [
            {"id": next_id("call"), "type": "function",
             "function": {"name": "computer_use", "arguments": json.dumps(c)}} for c in calls]
    else:
        message["content"] = (" ".join(thoughts) or "Next action.") + "".join(
            "\n<tool_call>\n" + json.dumps({"name": "computer_use", "arguments": c})
            + "\n</tool_call>" for c in calls)
    reply = {"id": next_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
             "model": body.get("model"),
             "choices": [{"index": 0, "message": message, "logprobs": None,
                          "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
             "usage": {"prompt_tokens": turn.input_tokens,
                       "completion_tokens": turn.output_tokens,
                       "total_tokens": turn.input_tokens + turn.output_tokens}}
    ChatCompletion.model_validate(reply)
    return reply
