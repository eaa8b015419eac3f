"""The computer-use loop as a state machine with no I/O, in the manner of h11.

A driver (sync or async agent) asks the `Conversation` what to do next and does it:

    decision = conversation.begin(kind, instruction, image)
    while not isinstance(decision, Finish):
        if isinstance(decision, Send):     response = <call the model>(**decision.request)
                                           decision = conversation.receive(response)
        elif isinstance(decision, Execute): errors = <run decision.actions on the page>
                                           decision = conversation.executed(image, errors)

Everything that makes the protocol right (answering every call id, acknowledging safety
checks, the one nudge, max_steps, chaining steps) lives here, once, for both drivers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import protocol, safety
from .protocol import ModelTurn

READ_ONLY_KINDS = ("check", "ask")
# Repeating these can be progress (scrolling a long page, waiting for a job), not a loop.
PATIENT_ACTIONS = ("scroll", "wait", "screenshot")


@dataclass(frozen=True)
class Image:
    """A screenshot as sent to the model: a data URL and the size the model sees."""

    url: str
    width: int
    height: int


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
    """How a step ended: verdict, answer, no_verdict, max_steps, safety or loop."""

    outcome: str
    passed: bool = False
    reason: str = ""
    answer: str | None = None
    refused_checks: list[dict] = field(default_factory=list)


Decision = Send | Execute | Finish


class Conversation:
    """One test's conversation with the model, step after step."""

    def __init__(
        self,
        *,
        model: str,
        variant: str,
        safety_policy: str = "fail",
        max_steps: int = 30,
        history: str = "server",
        reasoning_summary: bool = True,
        loop_limit: int = 8,
    ) -> None:
        if variant not in ("preview", "ga"):
            raise ValueError(f"unknown tool variant {variant!r}")
        self.model = model
        self.variant = variant
        self.safety_policy = safety_policy
        self.max_steps = max_steps
        self.history = history
        self.reasoning_summary = reasoning_summary
        self.loop_limit = loop_limit
        self._last_actions = ""
        self._repeats = 0
        self.previous_response_id: str | None = None
        self._history_items: list[dict] = []
        self._carry: list[dict] = []  # outputs owed to the model, sent with the next request
        self._display = (0, 0)
        self._kind = "act"
        self._turns = 0
        self._nudged = False
        self._queue: list[protocol.ComputerCall] = []
        self._current: protocol.ComputerCall | None = None
        self._acks: dict[str, list[dict]] = {}
        self._notes: list[str] = []
        self._events: list[str] = []
        self._ending: Finish | None = None
        self.last_turn: ModelTurn | None = None

    # ----------------------------------------------------------------- public API
    @property
    def turns(self) -> int:
        """Model turns taken in the current step."""
        return self._turns

    def abandon(self) -> None:
        """Forget a step that ended in an exception; the next step starts a fresh chain."""
        self._current = None
        self._ending = None
        self._end(Finish("abandoned"))

    def begin(self, kind: str, instruction: str, image: Image,
              done: list[str] | tuple[str, ...] = (), secrets: tuple[str, ...] = ()) -> Send:
        """Start a step. `done` lists steps that ran without the model (replayed from a
        cassette) since it last heard from us, so it knows how the page got here; `secrets`
        names the placeholders the model may type."""
        if kind not in ("act", "check", "ask"):
            raise ValueError(f"unknown step kind {kind!r}")
        self._kind = kind
        self._turns = 0
        self._nudged = False
        self._last_actions, self._repeats = "", 0
        self._queue = []
        self._current = None
        self._ending = None
        self._display = (image.width, image.height)
        items = [*self._carry,
                 protocol.step_message(kind, instruction, image.url, self.variant, done,
                                       secrets)]
        self._carry = []
        return self._send(items)

    def receive(self, response: Any) -> Decision:
        """Take the model's response; raises CuaProviderError when it is unusable."""
        turn = protocol.parse_response(response)
        self.last_turn = turn
        self._turns += 1
        self.previous_response_id = turn.response_id
        if self.history == "manual":
            self._history_items.extend(
                item for item in turn.output_items if item.get("type") != "reasoning"
            )

        replies: list[dict] = []
        ending: Finish | None = None
        wanted = protocol.ANSWER_TOOL if self._kind == "ask" else protocol.VERDICT_TOOL
        for call in turn.function_calls:
            args = call.parsed()
            result = _read_verdict(call.name, wanted, args)
            if isinstance(result, Finish) and ending is None:
                ending = result
                replies.append(protocol.function_call_output(call.call_id, "recorded"))
            else:
                error = result if isinstance(result, str) else "ignored: a verdict was given"
                replies.append(protocol.function_call_output(call.call_id, error))

        if turn.computer_calls:
            refused: list[dict] = []
            acks: dict[str, list[dict]] = {}
            for call in turn.computer_calls:
                decision = safety.decide(self.safety_policy, call.pending_checks)
                refused.extend(decision.refused)
                acks[call.call_id] = decision.acknowledged
            if refused:
                return self._end(Finish("safety", refused_checks=refused))
            if ending is None and self._turns >= self.max_steps:
                return self._end(Finish("max_steps"))
            looping = self._looping(turn)
            if ending is None and looping:
                return self._end(Finish("loop", reason=looping))
            self._queue = list(turn.computer_calls)
            self._acks = acks
            self._ending = ending
            self._carry = replies
            self._notes = []
            self._events = []
            return self._next_call()

        if ending is not None:
            self._carry = replies
            return ending
        if turn.function_calls:
            # Only wrong or malformed function calls: tell the model and let it try again.
            return self._again(replies)
        text = " ".join(turn.messages).strip() or "(no text)"
        if self._nudged:
            return self._end(Finish("no_verdict", reason=text))
        self._nudged = True
        return self._again([protocol.text_message(protocol.NUDGE.format(tool=wanted))])

    @property
    def executing(self) -> bool:
        """Whether an Execute was handed out and not yet reported back."""
        return self._current is not None

    def executed(self, image: Image, errors: list[str] | None = None,
                 events: list[str] | None = None) -> Decision:
        """Report that the current Execute ran; `errors` (actions that could not run) and
        `events` (what the browser did that a screenshot cannot show: a file chooser, a
        download, a dialog) are told to the model as text."""
        if self._current is None:
            raise RuntimeError("executed() called with no Execute pending")
        call = self._current
        self._current = None
        self._display = (image.width, image.height)
        self._carry.append(
            protocol.computer_call_output(call.call_id, image.url, self._acks[call.call_id])
        )
        self._notes.extend(errors or [])
        self._events.extend(events or [])
        return self._next_call()

    # ----------------------------------------------------------------- internals
    def _looping(self, turn: ModelTurn) -> str:
        """Why the model is stuck, once it sent the same actions loop_limit turns in a row."""
        actions = [a for call in turn.computer_calls for a in call.actions]
        signature = json.dumps(actions, sort_keys=True)
        if not self.loop_limit or all(a.get("type") in PATIENT_ACTIONS for a in actions):
            self._last_actions, self._repeats = "", 0
            return ""
        self._repeats = self._repeats + 1 if signature == self._last_actions else 1
        self._last_actions = signature
        if self._repeats < self.loop_limit:
            return ""
        return (f"the model sent the same action {self._repeats} times in a row, {signature}, "
                "without getting anywhere; stopped as a loop (raise --cua-loop-limit if "
                "repeating is intended)")

    def _next_call(self) -> Decision:
        if self._queue:
            call = self._queue.pop(0)
            self._current = call
            return Execute(
                call.call_id, call.actions, self._kind in READ_ONLY_KINDS,
                self._acks[call.call_id],
            )
        if self._notes:
            self._carry.append(protocol.text_message(
                "Some actions were not carried out:\n- " + "\n- ".join(self._notes)
            ))
            self._notes = []
        if self._events:
            self._carry.append(protocol.text_message(
                "What the browser did:\n- " + "\n- ".join(self._events)))
            self._events = []
        if self._ending is not None:
            ending, self._ending = self._ending, None
            return ending
        items, self._carry = self._carry, []
        return self._send(items)

    def _again(self, items: list[dict]) -> Decision:
        if self._turns >= self.max_steps:
            return self._end(Finish("max_steps"))
        return self._send(items)

    def _end(self, finish: Finish) -> Finish:
        # Calls left unanswered would make the next request invalid: start the next step
        # on a fresh chain instead.
        self.previous_response_id = None
        self._history_items = []
        self._carry = []
        self._queue = []
        return finish

    def _send(self, items: list[dict]) -> Send:
        request: dict[str, Any] = {
            "model": self.model,
            "instructions": protocol.INSTRUCTIONS,
            "tools": [
                protocol.computer_tool(self.variant, *self._display),
                *protocol.function_tools(),
            ],
        }
        if self.history == "manual":
            self._history_items.extend(items)
            request["input"] = list(self._history_items)
        else:
            request["input"] = items
            if self.previous_response_id:
                request["previous_response_id"] = self.previous_response_id
        if self.variant == "preview":
            request["truncation"] = "auto"
        if self.reasoning_summary:
            request["reasoning"] = {"summary": "concise"}
        return Send(request)


def _read_verdict(name: str, wanted: str, args: dict | None) -> Finish | str:
    """A Finish for a well-formed call of the wanted tool, else an error text for the model."""
    if name not in (protocol.VERDICT_TOOL, protocol.ANSWER_TOOL):
        return f"error: unknown function {name!r}; call {wanted}"
    if name != wanted:
        return f"error: this step expects {wanted}, not {name}"
    if args is None:
        return f"error: arguments of {name} must be a JSON object; call it again"
    if name == protocol.ANSWER_TOOL:
        answer = args.get("answer")
        if not isinstance(answer, str):
            return "error: 'answer' must be a string; call cua_answer again"
        return Finish("answer", passed=True, answer=answer, reason=answer)
    passed = args.get("passed")
    if not isinstance(passed, bool):
        return f"error: 'passed' must be true or false, got {json.dumps(passed)}; call again"
    reason = args.get("reason")
    return Finish("verdict", passed=passed, reason=str(reason or "").strip() or "(no reason)")
