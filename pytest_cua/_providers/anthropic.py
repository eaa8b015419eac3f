"""The Anthropic dialect: Claude's computer use over the Messages API.

The API is stateless, so the dialect keeps the conversation and resends it each turn,
with only the most recent screenshots as images (older ones become a line of text) and a
prompt-caching breakpoint on the newest message, so the unchanged history is read from
the cache. Claude's actions (`left_click`, `key` in xdotool syntax, `scroll` by wheel
clicks, a click "at the cursor" without a coordinate, ...) are mapped into our action
vocabulary here and nowhere else. Three tool versions: `computer_20250124` and
`computer_20251124` (with zoom), beta tools named `computer`, and the toolset
`computer_toolset_20260801`, whose actions arrive as tools of their own names.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._core.events import ComputerCall, FunctionCall, Image, ModelTurn
from .._core.prompts import INSTRUCTIONS, OUR_TOOLS, step_text
from .._run.pacing import MAX_RETRIES, paced_http_client
from ..errors import CuaConfigError, CuaProviderError, hidden_from_users
from ..settings import Settings
from .base import OMITTED, keep_newest_images
from .faults import SdkFaults, provider_fault, tried

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

BETAS = {"computer_20250124": "computer-use-2025-01-24",
         "computer_20251124": "computer-use-2025-11-24"}
TOOLSET = "computer_toolset_20260801"
VERSIONS = (*BETAS, TOOLSET)
DEFAULT_MODEL = "claude-sonnet-4-6"
ANTHROPIC_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")
# Screenshots within 1280x800 stay under the documented limits (long edge 1568 px, about
# 1.15 megapixels), so Claude sees them unscaled and its coordinates need no guessing.
SCREENSHOT_LIMIT = (1280, 800)
KEEP_IMAGES = 3  # screenshots kept as images in a request, newest first (the vendor's loops)
MAX_TOKENS = 4096
SCROLL_PIXELS = 100  # one wheel click


def tool_for_model(model: str) -> str:
    """The tool version a model takes: the toolset for Claude 5 models, the zoomable tool
    for Opus 4.5 / Sonnet 4.6 and later 4.x models, else `computer_20250124`."""
    name = model.lower()
    if re.search(r"claude-[a-z]+-5(\b|-)", name):
        return TOOLSET
    if re.search(r"claude-(opus-4-[5-9]|sonnet-4-[6-9])", name):
        return "computer_20251124"
    return "computer_20250124"


# ----------------------------------------------------------------- Claude's actions -> ours
_BUTTONS = {"left_click": "left", "right_click": "right", "middle_click": "wheel"}
_SCROLL = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


def xdotool_keys(text: Any) -> list[str]:
    """`ctrl+shift+t` / `Return` / `KP_Enter` as key names `actions.map_key` knows."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [k.strip() for k in re.split(r"\+(?!$)", text.strip()) if k.strip()]


def to_action(name: str, args: Mapping[str, Any], cursor: tuple[int, int] | None) -> dict:
    """One Claude action in our vocabulary; an unknown one keeps its name, so the executor
    tells the model it cannot do it."""
    coordinate = args.get("coordinate")
    x, y = (coordinate if isinstance(coordinate, list) and len(coordinate) == 2
            else cursor or (None, None))
    held = xdotool_keys(args.get("text"))
    at = {"x": x, "y": y}

    def with_keys(action: dict) -> dict:
        return {**action, "keys": held} if held else action

    if name in _BUTTONS:
        return with_keys({"type": "click", "button": _BUTTONS[name], **at})
    if name in ("double_click", "triple_click"):
        return with_keys({"type": name, **at})
    if name == "mouse_move":
        return with_keys({"type": "move", **at})
    if name == "left_click_drag":
        start = args.get("start_coordinate")
        sx, sy = start if isinstance(start, list) and len(start) == 2 else (cursor or (x, y))
        return with_keys({"type": "drag", "path": [{"x": sx, "y": sy}, at]})
    if name in ("left_mouse_down", "left_mouse_up"):
        return {"type": "mouse_down" if name.endswith("down") else "mouse_up", **at}
    if name == "scroll":
        dx, dy = _SCROLL.get(str(args.get("scroll_direction")), (0, 0))
        given = args.get("scroll_amount")
        amount = given if isinstance(given, int) else 3
        return with_keys({"type": "scroll", **at, "scroll_x": dx * amount * SCROLL_PIXELS,
                          "scroll_y": dy * amount * SCROLL_PIXELS})
    if name == "type":
        return {"type": "type", "text": args.get("text")}
    if name == "key":
        return {"type": "keypress", "keys": xdotool_keys(args.get("text"))}
    if name == "hold_key":
        return {"type": "hold_key", "keys": xdotool_keys(args.get("text")),
                "ms": _ms(args.get("duration"))}
    if name == "wait":
        return {"type": "wait", "ms": _ms(args.get("duration"))}
    if name in ("screenshot", "cursor_position"):
        return {"type": name}
    if name == "zoom":
        return {"type": "zoom", "region": args.get("region")}
    return {"type": name, **{k: v for k, v in args.items() if k != "action"}}


def _ms(seconds: Any) -> int:
    ok = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    return int(seconds * 1000) if ok else 1000


# ----------------------------------------------------------------- the dialect
class MessagesDialect:
    """Claude through `messages.create` (the toolset) or `beta.messages.create` (the
    single-tool versions, with their beta flag)."""

    provider = "anthropic"
    screenshot_limit = SCREENSHOT_LIMIT
    errors_in_results = True

    def __init__(self, model: str, tool: str, keep_images: int = KEEP_IMAGES) -> None:
        if tool not in VERSIONS:
            raise ValueError(f"unknown Anthropic computer tool {tool!r}")
        self.model, self.tool, self.keep_images = model, tool, keep_images
        self._messages: list[dict] = []
        self._cursor: tuple[int, int] | None = None
        self._asked: dict[str, str] = {}  # tool_use id -> our action type, for its result

    # -- what we send -----------------------------------------------------------------
    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[dict]:
        return [{"type": "text", "text": step_text(kind, instruction, done, secrets)},
                _image(image)]

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[dict]:
        content: list[dict] = []
        if errors:
            content.append({"type": "text", "text": "; ".join(errors)})
        if self._asked.get(call.call_id) == "cursor_position" and self._cursor:
            content.append({"type": "text", "text": f"X={self._cursor[0]},Y={self._cursor[1]}"})
        content.append(_image(image))
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.call_id,
                                  "content": content}
        if self.tool == TOOLSET:
            result["toolset_name"] = "computer"
        if errors:
            result["is_error"] = True
        return [result]

    def function_result(self, call: FunctionCall, output: str) -> list[dict]:
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.call_id,
                                  "content": output}
        if output.startswith("error"):
            result["is_error"] = True
        return [result]

    def text(self, text: str) -> list[dict]:
        return [{"type": "text", "text": text}]

    def request(self, items: list[dict], display: tuple[int, int]) -> dict:
        if items:  # results first: every tool_use is answered at the start of the message
            ordered = sorted(items, key=lambda block: block.get("type") != "tool_result")
            self._messages.append({"role": "user", "content": ordered})
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": MAX_TOKENS,
            "system": INSTRUCTIONS,
            "tools": [self._computer_tool(display), *(
                {"name": name, "description": description, "input_schema": schema}
                for name, description, schema in OUR_TOOLS)],
            "messages": self._bounded(),
        }
        if self.tool in BETAS:
            request["betas"] = [BETAS[self.tool]]
        return request

    def _computer_tool(self, display: tuple[int, int]) -> dict:
        if self.tool == TOOLSET:
            return {"type": TOOLSET}
        tool: dict[str, Any] = {"type": self.tool, "name": "computer",
                                "display_width_px": display[0],
                                "display_height_px": display[1]}
        if self.tool == "computer_20251124":
            tool["enable_zoom"] = True
        return tool

    def _bounded(self) -> list[dict]:
        """The history to send: the newest `keep_images` screenshots as images, older ones
        as a line of text, and a cache breakpoint on the newest message."""
        messages = copy.deepcopy(self._messages)
        keep_newest_images((slot for message in reversed(messages)
                            if isinstance(message["content"], list)
                            for slot in reversed(_image_slots(message["content"]))),
                           self.keep_images, lambda _: {"type": "text", "text": OMITTED})
        if messages and isinstance(messages[-1]["content"], list) and messages[-1]["content"]:
            messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        return messages

    # -- what we get --------------------------------------------------------------------
    def parse(self, response: Any) -> ModelTurn:
        data = response.model_dump(mode="json", exclude_none=True, warnings=False) \
            if hasattr(response, "model_dump") else response
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not data.get("id") or not isinstance(content, list):
            raise CuaProviderError("malformed response from the model service: no message id "
                                   "or content (a proxy in between may have changed it)")
        stop = data.get("stop_reason")
        turn = ModelTurn(response_id=data["id"], status=stop,
                         stop=stop if stop in ("refusal", "max_tokens", "pause_turn") else None)
        usage = data.get("usage") or {}
        turn.input_tokens = int(usage.get("input_tokens") or 0) + int(
            usage.get("cache_read_input_tokens") or 0) + int(
            usage.get("cache_creation_input_tokens") or 0)
        turn.output_tokens = int(usage.get("output_tokens") or 0)
        turn.cached_tokens = int(usage.get("cache_read_input_tokens") or 0)
        for block in content:
            kind = block.get("type")
            if kind == "text" and block.get("text"):
                turn.messages.append(block["text"])
            elif kind == "thinking" and block.get("thinking"):
                turn.reasoning.append(block["thinking"])
            elif kind == "tool_use":
                self._read_tool_use(block, turn)
        if not content and stop != "pause_turn":
            raise CuaProviderError(f"the model service returned an empty message "
                                   f"(stop_reason {stop!r}); retry the test")
        blocks = [_as_param(b) for b in content]
        if self._messages and self._messages[-1]["role"] == "assistant":
            self._messages[-1]["content"].extend(blocks)  # a paused turn, continued
        else:
            self._messages.append({"role": "assistant", "content": blocks})
        return turn

    def _read_tool_use(self, block: dict, turn: ModelTurn) -> None:
        call_id, name, args = block.get("id"), block.get("name"), block.get("input") or {}
        if not call_id:
            raise CuaProviderError("malformed tool_use from the model: no id")
        if name == "computer" or block.get("toolset_name") == "computer":
            action_name = args.get("action") if name == "computer" else name
            action = to_action(str(action_name), args, self._cursor)
            if isinstance(action.get("x"), int) and isinstance(action.get("y"), int):
                self._cursor = (action["x"], action["y"])
            if action["type"] == "drag":
                end = action["path"][-1]
                self._cursor = (end["x"], end["y"]) if None not in end.values() else self._cursor
            self._asked[call_id] = action["type"]
            turn.computer_calls.append(ComputerCall(call_id, [action]))
        else:
            turn.function_calls.append(FunctionCall(call_id, str(name), json.dumps(args)))

    def reset(self) -> None:
        self._messages, self._cursor, self._asked = [], None, {}

    # -- sending ------------------------------------------------------------------------
    def warm(self, client: Any) -> None:
        client.beta.messages  # noqa: B018 - the SDK imports its request types on first use

    def send(self, client: Any, request: dict) -> Any:
        api = client.beta.messages if "betas" in request else client.messages
        return api.create(**request)

    def fault(self, exc: BaseException) -> BaseException:
        return FAULTS(exc)


def _image(image: Image) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": image.media_type,
                                        "data": image.base64}}


def _image_slots(blocks: list) -> list[tuple[list, int]]:
    """Where the images of a message are, in order: (list, index), tool results' too."""
    slots: list[tuple[list, int]] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        if block.get("type") == "image":
            slots.append((blocks, i))
        inner = block.get("content") if block.get("type") == "tool_result" else None
        if isinstance(inner, list):
            slots += [(inner, j) for j, b in enumerate(inner)
                      if isinstance(b, dict) and b.get("type") == "image"]
    return slots


_PARAM_KEYS = {"text": ("type", "text"), "thinking": ("type", "thinking", "signature"),
               "redacted_thinking": ("type", "data"),
               "tool_use": ("type", "id", "name", "input", "toolset_name")}


def _as_param(block: dict) -> dict:
    """A reply's content block as it is sent back in the history (the request's fields)."""
    keys = _PARAM_KEYS.get(block.get("type", ""))
    return {k: v for k, v in block.items() if k in keys} if keys else block


# ----------------------------------------------------------------- client and faults
def build_client(settings: Settings, env: Mapping[str, str], *,
                 asynchronous: bool = False) -> Any:
    try:
        import anthropic
    except ImportError:
        raise CuaConfigError(
            "provider 'anthropic' needs the anthropic package: "
            "pip install \"pytest-cua[anthropic]\"") from None
    key = env.get("ANTHROPIC_API_KEY")
    if not key:
        raise CuaConfigError(
            "no Anthropic credentials: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a "
            "proxy), or run from recorded cassettes with --cua-cache=replay")
    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    return cls(api_key=key, base_url=env.get("ANTHROPIC_BASE_URL") or None,
               timeout=settings.timeout, max_retries=0,  # retried by `quota`
               http_client=paced_http_client(anthropic, asynchronous))


def _sdk_errors() -> tuple[type[BaseException], ...]:
    import anthropic

    return (anthropic.AnthropicError, ValueError)


def provider_error(exc: BaseException) -> CuaProviderError:
    """The SDK's exception as the test should read it, as for OpenAI (`openai.describe_error`)."""
    import anthropic

    request_id = getattr(exc, "request_id", None)
    status = getattr(exc, "status_code", None)
    suffix = f" (request id {request_id})" if request_id else ""
    if isinstance(exc, anthropic.APITimeoutError):
        text = f"the model service timed out{suffix}; raise --cua-timeout or retry"
    elif isinstance(exc, anthropic.APIConnectionError):
        text = (f"cannot reach the model service{tried(exc)}: {exc}{suffix}; check "
                "ANTHROPIC_BASE_URL and the network")
    elif isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        text = f"the model service refused the credentials ({status}){suffix}; check the key"
    elif isinstance(exc, anthropic.RateLimitError):
        body = getattr(exc, "body", None)
        error = body.get("error", {}) if isinstance(body, dict) else {}
        text = f"the model service answered 429{suffix}: {error.get('message') or exc}"
    elif isinstance(exc, anthropic.APIStatusError):
        body = getattr(exc, "body", None)
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message") if isinstance(error, dict) else None
        overloaded = " (overloaded)" if status == 529 else ""
        text = (f"the model service answered HTTP {status}{overloaded}{suffix}: "
                f"{message or exc}" + (f"; it still failed after {MAX_RETRIES} retries: an "
                                       "outage, not a bug in the app under test; rerun later"
                                       if status and status >= 500 else ""))
    else:
        text = f"malformed response from the model service{suffix}: {exc}"
    response = getattr(exc, "response", None)
    return provider_fault(text, exc, status=status, headers=getattr(response, "headers", None),
                          body=getattr(exc, "body", None), request_id=request_id,
                          transport=isinstance(exc, anthropic.APIConnectionError))


FAULTS = SdkFaults(_sdk_errors, provider_error)
