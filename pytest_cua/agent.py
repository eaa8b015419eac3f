"""The agent a test talks to: `cua_agent("...")`, `.check(...)`, `.ask(...)`.

It is the sync driver of the sans-IO `loop.Conversation`: it calls the model through the
provider, runs actions through the computer, records the trail, and turns the loop's
`Finish` into a return value or one of the exceptions of design.md section 2.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

from . import providers
from .computer import ActionError, PageComputer, Shot, describe
from .errors import CuaCheckFailed, CuaMaxStepsExceeded, CuaSafetyCheckFailed, CuaStepFailed
from .loop import Conversation, Execute, Finish, Send
from .settings import Settings
from .trail import ActionRecord, StepResult, Trail, TurnRecord


class StepObserver(Protocol):
    """Told about each step and turn as it happens; reporters implement it."""

    def step_started(self, step: StepResult) -> None: ...

    def turn_finished(self, step: StepResult, turn: TurnRecord) -> None: ...

    def step_finished(self, step: StepResult, error: BaseException | None) -> None: ...


class CuaAgent:
    """Runs natural-language steps on a Playwright page through a computer-use model."""

    def __init__(
        self,
        page: Any,
        client: Any,
        settings: Settings,
        *,
        trail: Trail | None = None,
        observers: Iterable[StepObserver] = (),
        computer: PageComputer | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.computer = computer or PageComputer(page)
        self.trail = trail if trail is not None else Trail()
        self.trail.model, self.trail.variant = settings.model, settings.tool_variant
        self.observers = list(observers)
        self.conversation = Conversation(
            model=settings.model,
            variant=settings.tool_variant,
            safety_policy=settings.safety_policy,
            max_steps=settings.max_steps,
            history=settings.history,
        )

    @property
    def page(self) -> Any:
        """The page the agent acts on now (a popup or new tab once one opened)."""
        return self.computer.page

    def __call__(self, instruction: str) -> StepResult:
        __tracebackhide__ = True
        return self.act(instruction)

    def act(self, instruction: str) -> StepResult:
        """Do the step; CuaStepFailed if the model reports it could not."""
        __tracebackhide__ = True
        return self._run("act", instruction)

    def check(self, claim: str) -> StepResult:
        """Assert a claim about the page, without changing it; CuaCheckFailed if false."""
        __tracebackhide__ = True
        return self._run("check", claim)

    def ask(self, question: str) -> str:
        """The model's answer to a question about the page."""
        __tracebackhide__ = True
        return self._run("ask", question).answer or ""

    # ------------------------------------------------------------------ driver
    def _run(self, kind: str, instruction: str) -> StepResult:
        __tracebackhide__ = True
        if not isinstance(instruction, str) or not instruction.strip():
            raise ValueError(f"cua_agent.{kind}() needs a non-empty instruction string")
        step = self.trail.start_step(kind, instruction)
        for observer in self.observers:
            observer.step_started(step)
        error: BaseException | None = None
        try:
            return self._conclude(step, self._drive(step))
        except BaseException as exc:
            error = exc
            self._announce(step)
            if step.outcome == "running":
                step.finish("error", False, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            for observer in self.observers:
                observer.step_finished(step, error)

    def _drive(self, step: StepResult) -> Finish:
        shot = self.computer.screenshot()
        decision = self.conversation.begin(step.kind, step.instruction, shot.image)
        while True:
            if isinstance(decision, Send | Finish):
                self._announce(step)
            if isinstance(decision, Send):
                turn = self._new_turn(step, shot)
                response = providers.create_response(self.client, decision.request)
                decision = self.conversation.receive(response)
                self._record_response(turn, decision)
            elif isinstance(decision, Execute):
                errors = self._execute(step.turns[-1], decision, shot)
                shot = self.computer.screenshot()
                decision = self.conversation.executed(shot.image, errors)
            else:
                return decision

    def _new_turn(self, step: StepResult, shot: Shot) -> TurnRecord:
        turn = TurnRecord(
            index=len(step.turns),
            screenshot=shot.png,
            screenshot_size=(shot.scale.shot_width, shot.scale.shot_height),
            url=self.page.url,
        )
        step.turns.append(turn)
        return turn

    def _record_response(self, turn: TurnRecord, decision: Any) -> None:
        model_turn = self.conversation.last_turn
        if model_turn is None:
            return
        turn.seconds = time.monotonic() - turn.started
        turn.response_id = model_turn.response_id
        turn.reasoning = list(model_turn.reasoning)
        turn.messages = list(model_turn.messages)
        turn.input_tokens, turn.output_tokens = model_turn.input_tokens, model_turn.output_tokens
        turn.function_calls = [
            {"name": c.name, "arguments": c.arguments} for c in model_turn.function_calls
        ]
        turn.safety_checks = [c for call in model_turn.computer_calls for c in call.pending_checks]
        if turn.safety_checks:
            refused = isinstance(decision, Finish) and decision.outcome == "safety"
            turn.safety_decision = (
                f"refused by policy {self.settings.safety_policy!r}" if refused
                else f"acknowledged by policy {self.settings.safety_policy!r}"
            )

    def _announce(self, step: StepResult) -> None:
        """Tell the listener about the last turn once its actions have run."""
        if step.turns and not step.turns[-1].announced:
            step.turns[-1].announced = True
            for observer in self.observers:
                observer.turn_finished(step, step.turns[-1])

    def _execute(self, turn: TurnRecord, decision: Execute, shot: Shot) -> list[str]:
        errors: list[str] = []
        for position, action in enumerate(decision.actions):
            record = ActionRecord(action, describe(action))
            turn.actions.append(record)
            if errors:
                record.error = "skipped: an earlier action of the batch failed"
                errors.append(f"action {position + 1} ({record.description}): {record.error}")
                continue
            try:
                self.computer.execute(action, shot.scale, decision.read_only)
            except ActionError as exc:
                record.error = str(exc)
                errors.append(f"action {position + 1} ({record.description}): {exc}")
        if not decision.actions:
            errors.append("the computer call carried no action; send one action to perform")
        return errors

    def _conclude(self, step: StepResult, finish: Finish) -> StepResult:
        __tracebackhide__ = True
        kind, instruction = step.kind, step.instruction
        if finish.outcome == "verdict":
            step.finish("passed" if finish.passed else "failed", finish.passed, finish.reason)
            if not finish.passed:
                failure = CuaCheckFailed if kind == "check" else CuaStepFailed
                raise failure(instruction, finish.reason, step)
            return step
        if finish.outcome == "answer":
            step.finish("passed", True, finish.reason, finish.answer)
            return step
        if finish.outcome == "no_verdict":
            reason = f"the model answered in text instead of giving a verdict: {finish.reason}"
            step.finish("failed", False, reason)
            failure = CuaCheckFailed if kind == "check" else CuaStepFailed
            raise failure(instruction, reason, step)
        if finish.outcome == "max_steps":
            step.finish("failed", False, f"more than {self.settings.max_steps} model turns")
            raise CuaMaxStepsExceeded(instruction, self.settings.max_steps, step)
        if finish.outcome == "safety":
            codes = ", ".join(str(c.get("code")) for c in finish.refused_checks)
            step.finish("failed", False, f"safety check(s) refused: {codes}")
            raise CuaSafetyCheckFailed(
                instruction, finish.refused_checks, self.settings.safety_policy, step
            )
        raise RuntimeError(f"unknown step outcome {finish.outcome!r}")  # pragma: no cover
