"""The computer-use loop as a state machine with no I/O, in the manner of h11.

A driver (sync or async agent) asks the `Conversation` what to do next and does it:

    decision = conversation.begin(kind, instruction, image)
    while not isinstance(decision, Finish):
        if isinstance(decision, Send):     response = <call the model>(**decision.request)
                                           decision = conversation.receive(response)
        elif isinstance(decision, Execute): errors = <run decision.actions on the page>
                                           decision = conversation.executed(image, errors)

Everything that makes the protocol right (answering every call id, acknowledging safety
checks, the one nudge, max_steps, chaining steps) lives here, once, for both drivers and
every vendor: the loop never sees a vendor's field names. A dialect (`_providers`) builds
the requests and results and reads the replies into a neutral `ModelTurn`.
"""

from __future__ import annotations

import json
from typing import Any

from . import safety
from .dialect import Dialect
from .events import ComputerCall, Decision, Execute, Finish, Image, ModelTurn, Send
from .prompts import ANSWER_TOOL, NUDGE, VERDICT_TOOL

READ_ONLY_KINDS = ("check", "ask")
# Repeating these can be progress (scrolling a long page, waiting for a job), not a loop.
PATIENT_ACTIONS = ("scroll", "wait", "screenshot")




class Conversation:
    """One test's conversation with the model, step after step."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        safety_policy: str = "fail",
        max_steps: int = 30,
        loop_limit: int = 8,
    ) -> None:
        self.dialect = dialect
        self.safety_policy = safety_policy
        self.max_steps = max_steps
        self.loop_limit = loop_limit
        self._last_actions = ""
        self._repeats = 0
        self._carry: list[Any] = []  # outputs owed to the model, sent with the next request
        self._display = (0, 0)
        self._kind = "act"
        self._turns = 0
        self._nudged = False
        self._queue: list[ComputerCall] = []
        self._current: ComputerCall | None = None
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
                 *self.dialect.step_items(kind, instruction, image, done, secrets)]
        self._carry = []
        return self._send(items)

    def receive(self, response: Any) -> Decision:
        """Take the model's response; raises CuaProviderError when it is unusable."""
        turn = self.dialect.parse(response)
        self.last_turn = turn
        self._turns += 1
        if turn.stop == "refusal":
            text = " ".join(turn.messages).strip() or "(no text)"
            return self._end(Finish("refused", reason=f"the model refused: {text}"))
        if turn.stop == "pause_turn" and not turn.computer_calls and not turn.function_calls:
            return self._again([])  # the service paused a long turn: let it go on

        replies: list[Any] = []
        ending: Finish | None = None
        wanted = ANSWER_TOOL if self._kind == "ask" else VERDICT_TOOL
        for call in turn.function_calls:
            args = call.parsed()
            result = _read_verdict(call.name, wanted, args)
            if isinstance(result, Finish) and ending is None:
                ending = result
                replies.extend(self.dialect.function_result(call, "recorded"))
            else:
                error = result if isinstance(result, str) else "ignored: a verdict was given"
                replies.extend(self.dialect.function_result(call, error))

        if turn.computer_calls:
            refused: list[dict] = []
            acks: dict[str, list[dict]] = {}
            for computer_call in turn.computer_calls:
                decision = safety.decide(self.safety_policy, computer_call.pending_checks)
                refused.extend(decision.refused)
                acks[computer_call.call_id] = decision.acknowledged
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
        return self._again(self.dialect.text(NUDGE.format(tool=wanted)))

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
        if not image.zoomed:
            self._display = (image.width, image.height)
        self._carry.extend(self.dialect.call_result(call, image, self._acks[call.call_id],
                                                    errors or []))
        if not self.dialect.errors_in_results:  # else the result above says it once
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
            self._carry.extend(self.dialect.text(
                "Some actions were not carried out:\n- " + "\n- ".join(self._notes)))
            self._notes = []
        if self._events:
            self._carry.extend(self.dialect.text(
                "What the browser did:\n- " + "\n- ".join(self._events)))
            self._events = []
        if self._ending is not None:
            ending, self._ending = self._ending, None
            return ending
        items, self._carry = self._carry, []
        return self._send(items)

    def _again(self, items: list[Any]) -> Decision:
        if self._turns >= self.max_steps:
            return self._end(Finish("max_steps"))
        return self._send(items)

    def _end(self, finish: Finish) -> Finish:
        # Calls left unanswered would make the next request invalid: start the next step
        # on a fresh chain instead.
        self.dialect.reset()
        self._carry = []
        self._queue = []
        return finish

    def _send(self, items: list[Any]) -> Send:
        return Send(self.dialect.request(items, self._display))


def _read_verdict(name: str, wanted: str, args: dict | None) -> Finish | str:
    """A Finish for a well-formed call of the wanted tool, else an error text for the model."""
    if name not in (VERDICT_TOOL, ANSWER_TOOL):
        return f"error: unknown function {name!r}; call {wanted}"
    if name != wanted:
        return f"error: this step expects {wanted}, not {name}"
    if args is None:
        return f"error: arguments of {name} must be a JSON object; call it again"
    if name == ANSWER_TOOL:
        answer = args.get("answer")
        if not isinstance(answer, str):
            return "error: 'answer' must be a string; call cua_answer again"
        return Finish("answer", passed=True, answer=answer, reason=answer)
    passed = args.get("passed")
    if not isinstance(passed, bool):
        return f"error: 'passed' must be true or false, got {json.dumps(passed)}; call again"
    reason = args.get("reason")
    return Finish("verdict", passed=passed, reason=str(reason or "").strip() or "(no reason)")
