"""The fake server's checks of a Responses API request, so that a client that drifts from
the real API fails loudly: every item and tool against the `openai` SDK's own request
types, screenshots real images of the declared size, every call of the previous response
answered, safety checks acknowledged with matching ids."""

from __future__ import annotations

import base64
import functools
import io
import typing
from dataclasses import dataclass
from typing import Any

from openai.types.responses import ResponseInputItemParam, ToolParam
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming
from PIL import Image
from pydantic import TypeAdapter, ValidationError

GA_LIMIT = (1440, 900)


def _members(union: Any) -> dict[str, type]:
    """Map each TypedDict of an SDK union to the literal of its `type` key."""
    out: dict[str, type] = {}
    for member in typing.get_args(union):
        hint = typing.get_type_hints(member).get("type")
        for literal in _literals(hint):
            out.setdefault(literal, member)
    return out


def _literals(hint: Any) -> list[str]:
    if hint is None:
        return []
    if typing.get_origin(hint) is typing.Literal:
        return [a for a in typing.get_args(hint) if isinstance(a, str)]
    return [lit for arg in typing.get_args(hint) for lit in _literals(arg)]


_ITEM_TYPES = _members(ResponseInputItemParam)
_TOOL_TYPES = _members(ToolParam)
_BODY_KEYS = (ResponseCreateParamsNonStreaming.__required_keys__
              | ResponseCreateParamsNonStreaming.__optional_keys__)


@functools.cache
def _adapter(cls: type) -> TypeAdapter:
    """Pydantic's validator of an SDK type, built once per process: building one takes
    tens of milliseconds, validating with it microseconds."""
    return TypeAdapter(cls)


def check_typed(value: Any, cls: Any, where: str) -> list[str]:
    """Errors of `value` against an SDK TypedDict: unknown keys and pydantic validation."""
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    known = cls.__required_keys__ | cls.__optional_keys__
    errors = [f"{where}: unknown field {key!r} for {cls.__name__}"
              for key in value if key not in known]
    adapter = _adapter(cls)
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err["loc"])
            errors.append(f"{where}.{loc}: {err['msg']} (SDK type {cls.__name__})")
    return errors


def decode_image(url: Any) -> tuple[str, tuple[int, int]]:
    """(format, size) of a data-URL image; ValueError if it is not a real image."""
    if not isinstance(url, str) or not url.startswith("data:image/"):
        raise ValueError(f"not a data:image URL: {str(url)[:40]!r}")
    header, _, payload = url.partition(",")
    if ";base64" not in header:
        raise ValueError("image data URL is not base64")
    data = base64.b64decode(payload, validate=True)
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        return (img.format or "?").lower(), img.size


def image_urls(items: list) -> list[str]:
    """Data URLs of the images of Responses API input items: user messages and call outputs."""
    urls = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "computer_call_output":
            urls.append(item.get("output", {}).get("image_url"))
        for part in item.get("content", []) if isinstance(item.get("content"), list) else []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                urls.append(part.get("image_url"))
    return urls


@dataclass
class Issued:
    """What a response asked for, so the next request can be checked against it."""

    calls: dict[str, str]  # call_id -> item type
    checks: dict[str, list[dict]]  # call_id -> pending safety checks



def check_request(body: Any, issued: dict[str, Issued]) -> list[str]:
    """Errors of a Responses API request: SDK types, the computer tool, its screenshots,
    and every call of the previous response answered."""
    if not isinstance(body, dict):
        return ["request body is not a JSON object"]
    errors = [f"request: unknown field {key!r} for ResponseCreateParams"
              for key in body if key not in _BODY_KEYS]
    if not body.get("model"):
        errors.append("request: 'model' is missing")
    tools = body.get("tools") or []
    items = body.get("input")
    if not isinstance(items, list) or not items:
        return [*errors, "request: 'input' must be a non-empty list of items"]
    for n, tool in enumerate(tools):
        cls = _TOOL_TYPES.get(str(tool.get("type"))) if isinstance(tool, dict) else None
        errors += (check_typed(tool, cls, f"tools[{n}]") if cls
                   else [f"tools[{n}]: unknown tool type {tool!r}"])
    for n, item in enumerate(items):
        kind = item.get("type", "message") if isinstance(item, dict) else None
        cls = _ITEM_TYPES.get(kind) if kind else None
        if kind == "message" and isinstance(item, dict) and "type" not in item:
            from openai.types.responses import EasyInputMessageParam
            cls = EasyInputMessageParam
        errors += (check_typed(item, cls, f"input[{n}]") if cls
                   else [f"input[{n}]: unknown input item {str(item)[:80]}"])
    if errors:
        return errors

    computer = [t for t in tools if t.get("type") in ("computer_use_preview", "computer")]
    if len(computer) != 1:
        return [f"request: expected exactly one computer tool, got {len(computer)}"]
    tool = computer[0]
    if tool["type"] == "computer_use_preview":
        if body.get("truncation") != "auto":
            errors.append("request: the computer_use_preview tool requires truncation='auto'")
        size, exact = (tool.get("display_width"), tool.get("display_height")), True
    else:
        size, exact = GA_LIMIT, False
    errors += _check_images(items, size, exact)
    errors += _check_answers(body, items, issued)
    return errors

def _check_images(items: list[dict], size: tuple, exact: bool) -> list[str]:
    errors = []
    for url in image_urls(items):
        try:
            _fmt, got = decode_image(url)
        except Exception as exc:
            errors.append(f"screenshot is not a real image: {exc}")
            continue
        if exact and got != tuple(size):
            errors.append(f"screenshot is {got[0]}x{got[1]} but the computer tool declares "
                          f"display {size[0]}x{size[1]}")
        if not exact and (got[0] > size[0] or got[1] > size[1]):
            errors.append(f"screenshot {got[0]}x{got[1]} exceeds the GA limit "
                          f"{size[0]}x{size[1]}")
    return errors

def _check_answers(body: dict, items: list[dict], issued_by_id: dict[str, Issued]) -> list[str]:
    errors = []
    outputs: dict[Any, dict] = {i.get("call_id"): i for i in items
               if i.get("type") in ("computer_call_output", "function_call_output")}
    previous = body.get("previous_response_id")
    owed: dict[Any, str] = {}
    checks: dict[str, list[dict]] = {}
    if previous:
        issued = issued_by_id.get(previous)
        if issued is None:
            return [f"previous_response_id {previous!r} is not a response of this server"]
        owed, checks = dict(issued.calls), issued.checks
    else:
        # Manual history: the calls are in the input; all of them must be answered.
        for item in items:
            if item.get("type") in ("computer_call", "function_call"):
                owed[item.get("call_id")] = item["type"]
                issued = next((v for v in issued_by_id.values()
                               if item.get("call_id") in v.checks), None)
                if issued:
                    checks[item["call_id"]] = issued.checks[item["call_id"]]
    for call_id, kind in owed.items():
        answer = outputs.get(call_id)
        if answer is None:
            errors.append(f"{kind} {call_id} was not answered")
            continue
        wanted = "computer_call_output" if kind == "computer_call" else "function_call_output"
        if answer.get("type") != wanted:
            errors.append(f"{kind} {call_id} answered with {answer.get('type')}")
        if kind == "computer_call":
            pending = checks.get(call_id, [])
            acked = answer.get("acknowledged_safety_checks") or []
            want = sorted((c["id"], c.get("code"), c.get("message")) for c in pending)
            got = sorted((c.get("id"), c.get("code"), c.get("message")) for c in acked)
            if want != got:
                errors.append(f"computer_call {call_id}: pending safety checks {want} "
                              f"but acknowledged {got}")
    for call_id in outputs:
        if call_id not in owed:
            errors.append(f"output for unknown call_id {call_id!r}")
    return errors
