"""The Responses API computer-use wire format: payloads we send and how we read replies.

Pure functions over plain data; no I/O. Both tool variants live here so the rest of the
plugin only ever sees a `ModelTurn` with a list of actions per computer call, whether the
model sent one `action` (preview) or a batch in `actions` (GA).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CuaProviderError

VERDICT_TOOL = "cua_verdict"
ANSWER_TOOL = "cua_answer"
GA_MAX_SIZE = (1440, 900)

INSTRUCTIONS = (
    "You are the hands and eyes of an automated end-to-end UI test. You control a web "
    "browser through the computer tool; the user gives one test step at a time. Carry out "
    "exactly what the step says, nothing more, and do not ask for confirmation: nobody can "
    "answer. When the step is done, or you are sure it cannot be done, call the function "
    f"{VERDICT_TOOL} with passed true or false and a short reason that names what you saw. "
    f"When the step asks a question, answer it by calling {ANSWER_TOOL}. Never reply with "
    "plain text instead of calling one of these functions."
)

_PROMPTS = {
    "act": (
        "Test step (perform it): {instruction}\n\nWhen it is done, call "
        f"{VERDICT_TOOL} with passed=true; if it cannot be done, call {VERDICT_TOOL} with "
        "passed=false and the reason."
    ),
    "check": (
        "Test check (verify, do not change the page; you may scroll to look): {instruction}"
        f"\n\nCall {VERDICT_TOOL} with passed=true if the claim is true of the page as it is, "
        "passed=false if it is false, with the reason."
    ),
    "ask": (
        "Question about the page (look, do not change it; you may scroll): {instruction}"
        f"\n\nCall {ANSWER_TOOL} with the answer, as short as the question allows."
    ),
}

NUDGE = (
    "You replied with text. This is an automated test and nobody reads it: call {tool} "
    "now with your conclusion."
)


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
    return [
        {
            "type": "function",
            "name": VERDICT_TOOL,
            "description": "Report the outcome of the current test step or check.",
            "parameters": {
                "type": "object",
                "properties": {
                    "passed": {"type": "boolean", "description": "true if done / true"},
                    "reason": {"type": "string", "description": "what you saw that decides it"},
                },
                "required": ["passed", "reason"],
                "additionalProperties": False,
            },
            "strict": True,
        },
        {
            "type": "function",
            "name": ANSWER_TOOL,
            "description": "Answer the question of the current test step.",
            "parameters": {
                "type": "object",
                "properties": {"answer": {"type": "string"}},
                "required": ["answer"],
                "additionalProperties": False,
            },
            "strict": True,
        },
    ]


def image_detail(variant: str) -> str:
    # GA models take full-resolution screenshots; for the preview model Azure documents
    # "high" as the workaround for weak OCR.
    return "original" if variant == "ga" else "high"


def step_message(kind: str, instruction: str, image_url: str, variant: str,
                 done: Sequence[str] = (), secrets: Sequence[str] = ()) -> dict:
    text = _PROMPTS[kind].format(instruction=instruction)
    if secrets:
        names = ", ".join("{" + name + "}" for name in secrets)
        text += (f"\nSecret values are given as placeholders: {names}. To enter one, type its "
                 "placeholder exactly as written; the real value is typed for you and the "
                 "field is masked in screenshots.")
    if done:
        text = ("These earlier steps of the test were already carried out: "
                + "; ".join(done) + ".\n" + text)
    return {
        "role": "user",
        "content": [
            {"type": "input_text", "text": text},
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


@dataclass
class ComputerCall:
    call_id: str
    actions: list[dict]
    pending_checks: list[dict]
    batched: bool


@dataclass
class FunctionCall:
    call_id: str
    name: str
    arguments: str

    def parsed(self) -> dict | None:
        try:
            value = json.loads(self.arguments or "")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class ModelTurn:
    """One model response, reduced to what the loop and the trail need."""

    response_id: str
    status: str | None
    computer_calls: list[ComputerCall] = field(default_factory=list)
    function_calls: list[FunctionCall] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    output_items: list[dict] = field(default_factory=list)


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
