"""The Gemini dialect: Google's computer use through `generateContent`.

The computer-use tool (`environment=ENVIRONMENT_BROWSER`) gives the model predefined
browser functions (`click_at`, `type_text_at`, `scroll_at`, `navigate`, ...) with
coordinates on a 0-999 grid; they are mapped into our action vocabulary here, against the
size of the screenshot the model saw. Every executed call is answered in the next user turn
by a function response of the same name carrying the page URL and the screenshot. Like
Anthropic's API it is stateless: the conversation is resent each turn with only the newest
screenshots as images. `safety_decision: require_confirmation` goes through our safety
policy as the code `require_confirmation`; an allowed call's response acknowledges it.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from .._core.events import ComputerCall, FunctionCall, Image, ModelTurn
from .._core.prompts import INSTRUCTIONS, OUR_TOOLS, step_text
from .._run.pacing import MAX_RETRIES, socket_hooks
from ..errors import CuaConfigError, CuaProviderError, hidden_from_users
from ..settings import Settings
from .base import OMITTED, keep_newest_images
from .faults import SdkFaults, provider_fault

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

TOOL = "computer_use_browser"
DEFAULT_MODEL = "gemini-3-flash-preview"
GEMINI_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL",
               "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION")
# `search` sends the model to a search engine and `open_web_browser` has nothing to open:
# a test stays in its app. --cua-gemini-excluded changes the list.
EXCLUDED = ("search", "open_web_browser")
SCREENSHOT_LIMIT = (1440, 900)  # the size Google's reference implementation uses
KEEP_IMAGES = 3
GRID = 1000  # coordinates and magnitudes are 0-999 on each axis
SCROLL_MAGNITUDE = 800  # scroll_at's default, in grid units
REFUSALS = ("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
            "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "MODEL_ARMOR")


def tool_for_model(model: str) -> str:
    return TOOL


# ----------------------------------------------------------------- Gemini's functions -> ours
def to_actions(name: str, args: Mapping[str, Any], size: tuple[int, int]) -> list[dict]:
    """One predefined function call as actions of our vocabulary, in screenshot pixels."""
    width, height = size

    def px(key: str, full: int) -> Any:
        value = args.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return round(value / GRID * full)
        return value

    x, y = px("x", width), px("y", height)
    if name == "click_at":
        return [{"type": "click", "button": "left", "x": x, "y": y}]
    if name == "hover_at":
        return [{"type": "move", "x": x, "y": y}]
    if name == "type_text_at":
        actions: list[dict] = [{"type": "click", "button": "left", "x": x, "y": y}]
        if args.get("clear_before_typing", True):
            actions += [{"type": "keypress", "keys": ["CTRL", "A"]},
                        {"type": "keypress", "keys": ["DELETE"]}]
        actions.append({"type": "type", "text": args.get("text")})
        if args.get("press_enter", False):
            actions.append({"type": "keypress", "keys": ["ENTER"]})
        return actions
    if name == "key_combination":
        keys = args.get("keys")
        return [{"type": "keypress",
                 "keys": [k for k in keys.split("+") if k] if isinstance(keys, str) else keys}]
    if name in ("scroll_document", "scroll_at"):
        direction = str(args.get("direction", "down"))
        magnitude = args.get("magnitude", SCROLL_MAGNITUDE) if name == "scroll_at" \
            else SCROLL_MAGNITUDE
        magnitude = magnitude if isinstance(magnitude, int | float) else SCROLL_MAGNITUDE
        at = (x, y) if name == "scroll_at" else (width // 2, height // 2)
        dx = {"left": -1, "right": 1}.get(direction, 0) * round(magnitude / GRID * width)
        dy = {"up": -1, "down": 1}.get(direction, 0) * round(magnitude / GRID * height)
        return [{"type": "scroll", "x": at[0], "y": at[1], "scroll_x": dx, "scroll_y": dy}]
    if name == "drag_and_drop":
        return [{"type": "drag", "path": [{"x": x, "y": y},
                                          {"x": px("destination_x", width),
                                           "y": px("destination_y", height)}]}]
    if name == "navigate":
        return [{"type": "navigate", "url": args.get("url")}]
    if name in ("go_back", "go_forward"):
        return [{"type": "click", "button": "back" if name == "go_back" else "forward",
                 "x": 0, "y": 0}]
    if name == "wait_5_seconds":
        return [{"type": "wait", "ms": 5000}]
    if name == "open_web_browser":
        return [{"type": "screenshot"}]
    return [{"type": name}]  # unknown: the executor tells the model it cannot do it


PREDEFINED = ("click_at", "hover_at", "type_text_at", "key_combination", "scroll_document",
              "scroll_at", "drag_and_drop", "navigate", "go_back", "go_forward",
              "wait_5_seconds", "open_web_browser", "search")


class GeminiDialect:
    """Gemini through `models.generate_content` with the computer-use tool."""

    provider = "gemini"
    tool = TOOL
    screenshot_limit = SCREENSHOT_LIMIT
    errors_in_results = True

    def __init__(self, model: str, excluded: Sequence[str] = EXCLUDED,
                 keep_images: int = KEEP_IMAGES) -> None:
        self.model, self.excluded, self.keep_images = model, list(excluded), keep_images
        self._contents: list[dict] = []
        self._display = (1, 1)
        self._calls: dict[str, dict] = {}  # our call id -> {name, id}
        self._ids = itertools.count(1)

    # -- what we send -----------------------------------------------------------------
    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[dict]:
        return [{"text": step_text(kind, instruction, done, secrets)}, _inline(image)]

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[dict]:
        asked = self._calls.get(call.call_id, {})
        response: dict[str, Any] = {"url": image.page_url}
        if acknowledged:
            response["safety_acknowledgement"] = "true"
        if errors:
            response["error"] = "; ".join(errors)
        result: dict[str, Any] = {"name": asked.get("name", "unknown"), "response": response,
                                  "parts": [_inline(image)]}
        if asked.get("id"):
            result["id"] = asked["id"]
        return [{"function_response": result}]

    def function_result(self, call: FunctionCall, output: str) -> list[dict]:
        asked = self._calls.get(call.call_id, {})
        result: dict[str, Any] = {"name": call.name, "response": {"output": output}}
        if asked.get("id"):
            result["id"] = asked["id"]
        return [{"function_response": result}]

    def text(self, text: str) -> list[dict]:
        return [{"text": text}]

    def request(self, items: list[dict], display: tuple[int, int]) -> dict:
        self._display = display
        if items:  # function responses first, in the order the calls came
            ordered = sorted(items, key=lambda part: "function_response" not in part)
            self._contents.append({"role": "user", "parts": ordered})
        return {
            "model": self.model,
            "contents": self._bounded(),
            "config": {
                "system_instruction": INSTRUCTIONS,
                "tools": [
                    {"computer_use": {"environment": "ENVIRONMENT_BROWSER",
                                      "excluded_predefined_functions": self.excluded}},
                    {"function_declarations": [
                        {"name": name, "description": description,
                         "parameters_json_schema": schema}
                        for name, description, schema in OUR_TOOLS]},
                ],
            },
        }

    def _bounded(self) -> list[dict]:
        """The newest `keep_images` screenshots as images, older ones as a line of text."""
        contents = [{**c, "parts": [dict(p) for p in c["parts"]]} for c in self._contents]
        keep_newest_images(((content["parts"], n) for content in reversed(contents)
                            for n in reversed(range(len(content["parts"])))
                            if _has_image(content["parts"][n])),
                           self.keep_images, _without_image)
        return contents

    # -- what we get --------------------------------------------------------------------
    def parse(self, response: Any) -> ModelTurn:
        data = response.model_dump(mode="python", exclude_none=True) \
            if hasattr(response, "model_dump") else response
        candidates = data.get("candidates") if isinstance(data, dict) else None
        turn = ModelTurn(response_id=str(data.get("response_id") or f"gemini-{next(self._ids)}")
                         if isinstance(data, dict) else "", status=None)
        usage = (data or {}).get("usage_metadata") or {}
        turn.input_tokens = int(usage.get("prompt_token_count") or 0)
        turn.output_tokens = int(usage.get("candidates_token_count") or 0)
        turn.cached_tokens = int(usage.get("cached_content_token_count") or 0)
        if not candidates:
            blocked = ((data or {}).get("prompt_feedback") or {}).get("block_reason")
            if blocked:
                turn.stop, turn.messages = "refusal", [f"the request was blocked ({blocked})"]
                return turn
            raise CuaProviderError("the model service returned no candidates; retry the test")
        candidate = candidates[0]
        reason = str(candidate.get("finish_reason") or "STOP").split(".")[-1]
        turn.status = reason
        parts = (candidate.get("content") or {}).get("parts") or []
        if reason in REFUSALS:
            turn.stop = "refusal"
            turn.messages = [f"{reason}: " + (candidate.get("finish_message") or
                                              "the answer was blocked")]
            return turn
        if reason == "MAX_TOKENS":
            turn.stop = "max_tokens"
        for part in parts:
            if part.get("thought") and part.get("text"):
                turn.reasoning.append(part["text"])
            elif part.get("text"):
                turn.messages.append(part["text"])
            elif part.get("function_call"):
                self._read_call(part["function_call"], turn)
        self._contents.append({"role": "model", "parts": [_as_param(p) for p in parts]})
        return turn

    def _read_call(self, call: dict, turn: ModelTurn) -> None:
        name, args = str(call.get("name")), dict(call.get("args") or {})
        call_id = f"{name}-{next(self._ids)}"
        self._calls[call_id] = {"name": name, "id": call.get("id")}
        if name in PREDEFINED or name not in {n for n, _, _ in OUR_TOOLS}:
            if args.get("intent"):
                turn.reasoning.append(str(args["intent"]))
            decision = args.get("safety_decision") or {}
            checks = [{"id": call_id, "code": "require_confirmation",
                       "message": str(decision.get("explanation") or "")}] \
                if decision.get("decision") == "require_confirmation" else []
            actions = to_actions(name, args, self._display)
            turn.computer_calls.append(ComputerCall(call_id, actions, checks, len(actions) > 1))
        else:
            turn.function_calls.append(FunctionCall(call_id, name, json.dumps(args)))

    def reset(self) -> None:
        self._contents, self._calls = [], {}

    # -- sending ------------------------------------------------------------------------
    def warm(self, client: Any) -> None:
        client.models  # noqa: B018 - the SDK imports its request types on first use

    def send(self, client: Any, request: dict) -> Any:
        return client.models.generate_content(**request)  # `Client` or its `.aio`

    def fault(self, exc: BaseException) -> BaseException:
        return FAULTS(exc)


def _inline(image: Image) -> dict:
    return {"inline_data": {"mime_type": image.media_type,
                            "data": base64.b64decode(image.base64)}}


def _as_param(part: dict) -> dict:
    """A reply's part as it is sent back in the history."""
    keep = ("text", "thought", "thought_signature", "function_call")
    return {k: v for k, v in part.items() if k in keep}


def _has_image(part: dict) -> bool:
    return "inline_data" in part or bool(
        "function_response" in part and part["function_response"].get("parts"))


def _without_image(part: dict) -> dict:
    """A screenshot as a line of text, or a function response without its screenshot."""
    if "inline_data" in part:
        return {"text": OMITTED}
    return {"function_response": {k: v for k, v in part["function_response"].items()
                                  if k != "parts"}}


# ----------------------------------------------------------------- client and faults
def build_client(settings: Settings, env: Mapping[str, str], *,
                 asynchronous: bool = False) -> Any:
    try:
        from google import genai
        from google.genai import types
    except ImportError:
        raise CuaConfigError("provider 'gemini' needs the google-genai package: "
                             "pip install \"pytest-cua[gemini]\"") from None
    vertex = str(env.get("GOOGLE_GENAI_USE_VERTEXAI", "")).lower() in ("1", "true", "yes")
    key = env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY")
    if not vertex and not key:
        raise CuaConfigError(
            "no Gemini credentials: set GEMINI_API_KEY (or GOOGLE_API_KEY), or "
            "GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION "
            "and application default credentials; or run from recorded cassettes with "
            "--cua-cache=replay")
    options = types.HttpOptions(timeout=int(settings.timeout * 1000),
                                base_url=env.get("GOOGLE_GEMINI_BASE_URL") or None,
                                retry_options=types.HttpRetryOptions(attempts=1),  # `quota` retries
                                client_args={"event_hooks": socket_hooks()},
                                async_client_args={"event_hooks": socket_hooks(True)})
    if vertex:
        client = genai.Client(vertexai=True, project=env.get("GOOGLE_CLOUD_PROJECT"),
                              location=env.get("GOOGLE_CLOUD_LOCATION"), http_options=options)
    else:
        client = genai.Client(api_key=key, http_options=options)
    return client.aio if asynchronous else client  # one `send` for both: the client decides


def _sdk_errors() -> tuple[type[BaseException], ...]:
    from google.genai import errors

    return (errors.APIError, OSError, ValueError, *_transport_errors())


def _transport_errors() -> tuple[type[BaseException], ...]:
    try:  # the HTTP library google-genai sends with
        import httpx2
    except ImportError:  # pragma: no cover - a dependency of google-genai
        return ()
    return (httpx2.HTTPError,)


def provider_error(exc: BaseException) -> CuaProviderError:
    """The SDK's exception as the test should read it (see `openai.describe_error`)."""
    status = getattr(exc, "code", None)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    request_id = headers.get("x-request-id") if hasattr(headers, "get") else None
    suffix = f" (request id {request_id})" if request_id else ""
    if "timeout" in type(exc).__name__.lower():
        text = f"the model service timed out{suffix}; raise --cua-timeout or retry"
    elif isinstance(exc, (OSError, *_transport_errors())):
        text = f"cannot reach the model service: {exc}{suffix}; check GOOGLE_GEMINI_BASE_URL " \
               "and the network"
    elif isinstance(status, int):
        message = getattr(exc, "message", None) or str(exc)
        text = (f"the model service answered HTTP {status}{suffix}: {message}"
                + (f"; it still failed after {MAX_RETRIES} retries: an outage, not a bug in "
                   "the app under test; rerun later" if status >= 500 else ""))
    else:
        text = f"malformed response from the model service{suffix}: {exc}"
    return provider_fault(text, exc, status=status if isinstance(status, int) else None,
                          headers=headers, body=getattr(exc, "details", None),
                          request_id=request_id,
                          transport=isinstance(exc, (OSError, *_transport_errors())))


FAULTS = SdkFaults(_sdk_errors, provider_error)
