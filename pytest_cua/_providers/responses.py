"""The Responses API computer-use wire format: payloads we send and how we read replies.

Pure functions over plain data; no I/O. Both tool variants live here so the rest of the
plugin only ever sees a `ModelTurn` with a list of actions per computer call, whether the
model sent one `action` (preview) or a batch in `actions` (GA).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._core.events import ComputerCall, FunctionCall, ModelTurn
from .._core.prompts import OUR_TOOLS, step_text
from ..errors import CuaProviderError

GA_MAX_SIZE = (1440, 900)


def computer_tool(variant: str, width: int, height: int) -> dict:
    if variant == "preview":
        return {
            "type": "computer_use_preview",
            "display_width": width,
            "display_height": height,
            "environment": "browser",
        }
    return {"type": "computer"}


def function_tools() -> list[dict]:
    return [{"type": "function", "name": name, "description": description,
             "parameters": schema, "strict": True} for name, description, schema in OUR_TOOLS]


def image_detail(variant: str) -> str:
    # GA models take full-resolution screenshots; for the preview model Azure documents
    # "high" as the workaround for weak OCR.
    return "original" if variant == "ga" else "high"


def step_message(kind: str, instruction: str, image_url: str, variant: str,
                 done: Sequence[str] = (), secrets: Sequence[str] = ()) -> dict:
    return {
        "role": "user",
        "content": [
            {"type": "input_text", "text": step_text(kind, instruction, done, secrets)},
            {"type": "input_image", "image_url": image_url, "detail": image_detail(variant)},
        ],
    }


def text_message(text: str) -> dict:
    return {"role": "user", "content": [{"type": "input_text", "text": text}]}


def computer_call_output(call_id: str, image_url: str, acknowledged: list[dict]) -> dict:
    item: dict[str, Any] = {
        "type": "computer_call_output",
        "call_id": call_id,
        "output": {"type": "computer_screenshot", "image_url": image_url},
    }
    if acknowledged:
        item["acknowledged_safety_checks"] = acknowledged
    return item


def function_call_output(call_id: str, output: str) -> dict:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


def _dump(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", exclude_none=True, warnings=False)
    return obj


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def parse_response(response: Any) -> ModelTurn:
    """Read an SDK `Response` (or its dict form) into a ModelTurn.

    Raises CuaProviderError for replies that cannot drive a test: failed, empty, or
    structurally broken ones. Unknown action types are kept; the executor reports them to
    the model.
    """
    response_id = _get(response, "id")
    status = _get(response, "status")
    error = _get(response, "error")
    if error:
        raise CuaProviderError(
            f"the model service returned an error response: {_dump(error)}"
        )
    if status == "failed":
        raise CuaProviderError(f"the model service reported status 'failed' for {response_id}")
    output = _get(response, "output")
    if not isinstance(response_id, str) or not response_id or output is None:
        raise CuaProviderError(
            "malformed response from the model service: missing 'id' or 'output' "
            "(a proxy in between may have changed it)"
        )
    turn = ModelTurn(response_id=response_id, status=status)
    usage = _get(response, "usage")
    if usage is not None:
        turn.input_tokens = int(_get(usage, "input_tokens", 0) or 0)
        turn.output_tokens = int(_get(usage, "output_tokens", 0) or 0)
    for item in output:
        kind = _get(item, "type")
        dumped = _dump(item)
        if kind == "computer_call":
            call_id = _get(item, "call_id")
            if not call_id:
                raise CuaProviderError("malformed computer_call from the model: no call_id")
            batch = _get(item, "actions")
            single = _get(item, "action")
            if batch:
                actions = [_dump(a) for a in batch]
            elif single is not None:
                actions = [_dump(single)]
            else:
                actions = []
            checks = [_dump(c) for c in (_get(item, "pending_safety_checks") or [])]
            turn.computer_calls.append(ComputerCall(call_id, actions, checks, bool(batch)))
        elif kind == "function_call":
            turn.function_calls.append(
                FunctionCall(_get(item, "call_id"), _get(item, "name"), _get(item, "arguments"))
            )
        elif kind == "message":
            for part in _get(item, "content") or []:
                text = _get(part, "text") or _get(part, "refusal")
                if text:
                    turn.messages.append(text)
        elif kind == "reasoning":
            for part in _get(item, "summary") or []:
                text = part if isinstance(part, str) else _get(part, "text")
                if text:
                    turn.reasoning.append(text)
        turn.output_items.append(dumped)
    if not turn.output_items:
        detail = _dump(_get(response, "incomplete_details"))
        raise CuaProviderError(
            f"the model service returned no output (status {status!r}"
            + (f", {detail}" if detail else "")
            + "); retry the test, or raise --cua-timeout if the service is slow"
        )
    return turn
