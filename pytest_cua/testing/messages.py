"""The fake server's Anthropic route: `/v1/messages`, checked against the `anthropic` SDK.

Requests are validated with the SDK's own request types (body fields, tools, every content
block) and the protocol's rules: every `tool_use` of an assistant message answered by a
`tool_result` at the start of the next user message, screenshots real images of the
declared display size, the `anthropic-beta` header matching the tool version. Scripted
turns are written once in our action vocabulary (`script.click(...)`, ...) and rendered
here as Claude's actions of the tool version the request declared; every reply is built
with the SDK's `BetaMessage` type.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
from collections.abc import Callable
from typing import Any

from anthropic.types import (
    AssistantMessageParam,
    ImageBlockParam,
    TextBlockParam,
    ThinkingBlockParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
    UserMessageParam,
)
from anthropic.types.beta import (
    BetaMessage,
    BetaToolComputerUse20250124Param,
    BetaToolComputerUse20251124Param,
)
from anthropic.types.beta.message_create_params import MessageCreateParamsNonStreaming
from anthropic.types.computer_toolset_20260801_param import ComputerToolset20260801Param
from PIL import Image

from .script import ComputerCall, Turn

BETAS = {"computer_20250124": "computer-use-2025-01-24",
         "computer_20251124": "computer-use-2025-11-24"}
TOOLS: dict[str, type] = {"computer_20250124": BetaToolComputerUse20250124Param,
                          "computer_20251124": BetaToolComputerUse20251124Param,
                          "computer_toolset_20260801": ComputerToolset20260801Param}
BLOCKS: dict[str, type] = {"text": TextBlockParam, "image": ImageBlockParam,
                           "tool_use": ToolUseBlockParam, "tool_result": ToolResultBlockParam,
                           "thinking": ThinkingBlockParam}
ROLES: dict[str, type] = {"user": UserMessageParam, "assistant": AssistantMessageParam}
BODY_KEYS = (MessageCreateParamsNonStreaming.__required_keys__
             | MessageCreateParamsNonStreaming.__optional_keys__) - {"betas"}
LIMIT = (1568, 1568)  # the long edge the vendor documents
MAX_PIXELS = 1_150_000

# Our key names -> xdotool's, for rendering keypresses as Claude sends them.
_XDOTOOL = {"enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape",
            "ctrl": "ctrl", "control": "ctrl", "shift": "shift", "alt": "alt",
            "cmd": "super", "meta": "super", "super": "super", "space": "space", "tab": "Tab",
            "backspace": "BackSpace", "delete": "Delete", "arrowleft": "Left",
            "arrowright": "Right", "arrowup": "Up", "arrowdown": "Down",
            "pagedown": "Page_Down", "pageup": "Page_Up", "home": "Home", "end": "End"}
_BUTTON = {"left": "left_click", "right": "right_click", "wheel": "middle_click",
           "middle": "middle_click"}


def _xdotool(keys: list[str]) -> str:
    return "+".join(_XDOTOOL.get(k.lower(), k.lower() if len(k) == 1 else k) for k in keys)


def claude_action(action: dict) -> tuple[str, dict]:
    """One action of our vocabulary as Claude sends it: (action name, its input)."""
    kind = action.get("type")
    at = {"coordinate": [action["x"], action["y"]]} if "x" in action else {}
    held = {"text": _xdotool(action["keys"])} if action.get("keys") else {}
    if kind == "click":
        if action.get("button", "left") not in _BUTTON:
            raise AssertionError(f"Claude has no click with button {action.get('button')!r}")
        return _BUTTON[action.get("button", "left")], {**at, **held}
    if kind in ("double_click", "triple_click"):
        return kind, {**at, **held}
    if kind == "move":
        return "mouse_move", {**at, **held}
    if kind == "drag":
        start, end = action["path"][0], action["path"][-1]
        return "left_click_drag", {"start_coordinate": [start["x"], start["y"]],
                                   "coordinate": [end["x"], end["y"]], **held}
    if kind == "scroll":
        dx, dy = action.get("scroll_x", 0), action.get("scroll_y", 0)
        direction = ("down" if dy > 0 else "up") if dy else ("right" if dx > 0 else "left")
        amount = max(1, round(abs(dy or dx) / 100))
        return "scroll", {**at, "scroll_direction": direction, "scroll_amount": amount, **held}
    if kind == "type":
        return "type", {"text": action["text"]}
    if kind == "keypress":
        return "key", {"text": _xdotool(action["keys"])}
    if kind == "hold_key":
        return "hold_key", {"text": _xdotool(action["keys"]),
                            "duration": action.get("ms", 1000) / 1000}
    if kind == "wait":
        return "wait", {"duration": action.get("ms", 1000) / 1000}
    if kind in ("mouse_down", "mouse_up"):
        return f"left_{kind}", at
    if kind in ("screenshot", "cursor_position"):
        return kind, {}
    if kind == "zoom":
        return "zoom", {"region": action["region"]}
    return str(kind), {k: v for k, v in action.items() if k != "type"}  # unknown: as given


def _decode(block: dict) -> tuple[int, int]:
    source = block.get("source") or {}
    data = base64.b64decode(source.get("data") or "", validate=True)
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return img.size


def _typed(check: Callable[[Any, type, str], list[str]], value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in BLOCKS:
        return [f"{where}: unknown content block {str(value)[:80]}"]
    errors = check(value, BLOCKS[value["type"]], where)
    inner = value.get("content") if value.get("type") == "tool_result" else None
    for n, block in enumerate(inner if isinstance(inner, list) else []):
        errors += _typed(check, block, f"{where}.content[{n}]")
    return errors


def check_request(body: Any, headers: dict[str, str],
                  check: Callable[[Any, type, str], list[str]]) -> list[str]:
    """Everything wrong with a Messages request; `check` validates against a TypedDict."""
    if not isinstance(body, dict):
        return ["request body is not a JSON object"]
    errors = [f"request: unknown field {key!r} for MessageCreateParams"
              for key in body if key not in BODY_KEYS]
    for key in ("model", "max_tokens", "messages"):
        if key not in body:
            errors.append(f"request: {key!r} is missing")
    tools = body.get("tools") or []
    computer = [t for t in tools if isinstance(t, dict) and t.get("type") in TOOLS]
    if len(computer) != 1:
        return [*errors, f"request: expected exactly one computer tool, got {len(computer)}"]
    tool = computer[0]
    errors += check(tool, TOOLS[tool["type"]], "tools[computer]")
    errors += [e for n, t in enumerate(tools) if t is not tool
               for e in check(t, ToolParam, f"tools[{n}]")]
    beta = BETAS.get(tool["type"])
    sent = {b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()}
    if beta and beta not in sent:
        errors.append(f"request: tool {tool['type']} needs the anthropic-beta header {beta!r}, "
                      f"got {sorted(sent) or 'none'}")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*errors, "request: 'messages' must be a non-empty list"]
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            errors.append(f"messages[{n}]: a message needs role 'user' or 'assistant'")
            continue
        errors += check({k: v for k, v in message.items() if k != "content"} | {"content": ""},
                        ROLES[message["role"]], f"messages[{n}]")
        content = message.get("content") if isinstance(message, dict) else None
        for m, block in enumerate(content if isinstance(content, list) else []):
            errors += _typed(check, block, f"messages[{n}].content[{m}]")
    if errors:
        return errors
    return errors + _check_turns(messages) + _check_images(messages, tool)


def _check_turns(messages: list[dict]) -> list[str]:
    errors = []
    if messages[0].get("role") != "user":
        errors.append("messages[0] must be a user message")
    for n, (before, after) in enumerate(itertools.pairwise(messages)):
        if before.get("role") == after.get("role"):
            errors.append(f"messages[{n + 1}]: two {after.get('role')} messages in a row")
        if before.get("role") != "assistant":
            continue
        asked = [b["id"] for b in before.get("content") or []
                 if isinstance(b, dict) and b.get("type") == "tool_use"]
        content: Any = after.get("content") if isinstance(after.get("content"), list) else []
        head = [b.get("tool_use_id") for b in content[:len(asked)]
                if isinstance(b, dict) and b.get("type") == "tool_result"]
        if head != asked:
            errors.append(f"messages[{n + 1}]: the tool_use blocks {asked} must be answered by "
                          f"tool_result blocks at the start of the next user message, got "
                          f"{head}")
    return errors


def _check_images(messages: list[dict], tool: dict) -> list[str]:
    errors: list[str] = []
    zooms = {b["id"] for m in messages for b in m.get("content") or []
             if isinstance(b, dict) and b.get("type") == "tool_use"
             and (b.get("input") or {}).get("action", b.get("name")) == "zoom"}
    declared = (tool.get("display_width_px"), tool.get("display_height_px"))
    for message in messages:
        blocks: Any = message.get("content") if isinstance(message.get("content"), list) else []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            inner = block.get("content") if block.get("type") == "tool_result" else [block]
            zoomed = block.get("tool_use_id") in zooms
            for image in inner if isinstance(inner, list) else []:
                if not isinstance(image, dict) or image.get("type") != "image":
                    continue
                try:
                    size = _decode(image)
                except Exception as exc:
                    errors.append(f"screenshot is not a real image: {exc}")
                    continue
                if zoomed:
                    continue
                if None not in declared and size != declared:
                    errors.append(f"screenshot is {size[0]}x{size[1]} but the computer tool "
                                  f"declares display {declared[0]}x{declared[1]}")
                if max(size) > LIMIT[0] or size[0] * size[1] > MAX_PIXELS:
                    errors.append(f"screenshot {size[0]}x{size[1]} exceeds the documented "
                                  "limits (long edge 1568, 1.15 megapixels)")
    return errors


def build_reply(body: dict, turn: Turn, next_id: Callable[[str], str]) -> dict:
    """A scripted turn as a Messages reply, validated with the SDK's `BetaMessage`."""
    tool = next(t for t in body["tools"] if t.get("type") in TOOLS)
    toolset = tool["type"] == "computer_toolset_20260801"
    content: list[dict] = []
    for item in turn.items:
        if isinstance(item, dict) and "__raw__" in item:
            content.append(item["__raw__"])
        elif isinstance(item, ComputerCall):
            for action in item.actions:
                name, args = claude_action(action)
                block: dict[str, Any] = {"type": "tool_use", "id": next_id("toolu")}
                if toolset:
                    block |= {"name": name, "input": args, "toolset_name": "computer"}
                else:
                    block |= {"name": "computer", "input": {"action": name, **args}}
                content.append(block)
        elif item.get("type") == "function_call":
            content.append({"type": "tool_use", "id": next_id("toolu"), "name": item["name"],
                            "input": json.loads(item["arguments"])})
        elif item.get("type") == "message":
            content += [{"type": "text", "text": part["text"]} for part in item["content"]]
        elif item.get("type") == "reasoning":
            content += [{"type": "thinking", "thinking": part["text"], "signature": "fake"}
                        for part in item["summary"]]
    stop = {"incomplete": "max_tokens", "refusal": "refusal", "pause_turn": "pause_turn"}.get(
        turn.status) or ("tool_use" if any(b["type"] == "tool_use" for b in content)
                         else "end_turn")
    cached = turn.input_tokens // 2 if _cache_breakpoint(body) and len(body["messages"]) > 1 \
        else 0
    reply = {"id": next_id("msg"), "type": "message", "role": "assistant",
             "model": body.get("model"), "content": content, "stop_reason": stop,
             "stop_sequence": None,
             "usage": {"input_tokens": turn.input_tokens - cached,
                       "cache_read_input_tokens": cached,
                       "output_tokens": turn.output_tokens}}
    if any("__raw__" in i for i in turn.items if isinstance(i, dict)):
        return reply
    return BetaMessage.model_validate(reply).model_dump(mode="json", exclude_none=True)


def _cache_breakpoint(body: dict) -> bool:
    return any(isinstance(b, dict) and "cache_control" in b
               for m in body.get("messages", []) if isinstance(m.get("content"), list)
               for b in m["content"])


def image_urls(body: Any) -> list[str]:
    """The images of a Messages request as data URLs, tool results' included, in order."""
    urls: list[str] = []
    for message in (body or {}).get("messages", []) if isinstance(body, dict) else []:
        for block in message.get("content") if isinstance(message.get("content"), list) else []:
            if not isinstance(block, dict):
                continue
            inner = block.get("content") if block.get("type") == "tool_result" else [block]
            for image in inner if isinstance(inner, list) else []:
                if isinstance(image, dict) and image.get("type") == "image":
                    source = image.get("source") or {}
                    urls.append(f"data:{source.get('media_type')};base64,{source.get('data')}")
    return urls


def texts(body: Any) -> list[str]:
    """The text blocks of a Messages request's last user message (what the model was told
    this turn), tool results' included."""
    messages = (body or {}).get("messages", []) if isinstance(body, dict) else []
    if not messages or not isinstance(messages[-1].get("content"), list):
        return []
    out: list[str] = []
    for block in messages[-1]["content"]:
        inner = block.get("content") if block.get("type") == "tool_result" else [block]
        if isinstance(inner, str):
            out.append(inner)
        for part in inner if isinstance(inner, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                out.append(part["text"])
    return out

