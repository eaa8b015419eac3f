"""The neutral vocabulary of a model turn, whatever the vendor (h11's `_events` idea).

The conversation speaks only in these terms: computer calls carrying actions in our own
vocabulary (`actions.plan` runs them, cassettes store them, reports draw them), function
calls for our verdict and answer tools, text, reasoning, usage and ids. A dialect turns a
vendor's reply into a `ModelTurn`; the conversation answers with `Send`, `Execute` or
`Finish` (in `conversation`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Image:
    """A screenshot as sent to the model: a data URL and the size the model sees."""

    url: str
    width: int
    height: int
    zoomed: bool = False  # a region at full resolution, not the screen: no new display size
    page_url: str = ""  # where the browser was (Gemini's function responses carry it)

    @property
    def media_type(self) -> str:
        return self.url[5:self.url.index(";")] if self.url.startswith("data:") else "image/png"

    @property
    def base64(self) -> str:
        return self.url.split(",", 1)[1] if "," in self.url else ""


@dataclass
class ComputerCall:
    """Actions the model asked for, in our vocabulary, under one id to answer."""

    call_id: str
    actions: list[dict]
    pending_checks: list[dict] = field(default_factory=list)
    batched: bool = False


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
    """One model reply, reduced to what the loop and the trail need."""

    response_id: str
    status: str | None
    computer_calls: list[ComputerCall] = field(default_factory=list)
    function_calls: list[FunctionCall] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    # How the reply ended when it is not a normal end of turn: "refusal" (the model will
    # not do it), "max_tokens" (cut off), "pause_turn" (the service wants to go on).
    stop: str | None = None
    output_items: list[dict] = field(default_factory=list)


# What the conversation tells its driver to do next.
@dataclass
class Send:
    request: dict[str, Any]


@dataclass
class Execute:
    call_id: str
    actions: list[dict]
    read_only: bool
    acknowledged: list[dict] = field(default_factory=list)


@dataclass
class Finish:
    """How a step ended: verdict, answer, no_verdict, refused, max_steps, safety or loop."""

    outcome: str
    passed: bool = False
    reason: str = ""
    answer: str | None = None
    refused_checks: list[dict] = field(default_factory=list)


Decision = Send | Execute | Finish
