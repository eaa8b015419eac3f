"""One step of the agent, written once: `cua_agent("...")`, `.check(...)`, `.ask(...)`.

A step drives the sans-IO `Conversation`: it calls the model through the vendor's dialect
(under the quota), runs actions through the executor, records the trail, hands recorded
steps to the `Replayer`, and turns the conversation's `Finish` into a return value or one
of the exceptions of design.md section 2. All of it is one probe (`_core.drive`), so the
sync `CuaAgent` and the async `AsyncCuaAgent` (`agent`) are facades that differ only in
how they run it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from typing import Any, Protocol

from .._browser.executor import PageComputer
from .._browser.screenshots import Shot
from .._core import drive, pricing, uploads
from .._core.actions import ActionError, Scale, describe
from .._core.conversation import Conversation
from .._core.events import Execute, Finish, Image, Send
from .._providers import registry
from .._replay import graduate
from .._replay.cassettes import RecordedStep, Tape
from .._replay.likeness import Likeness
from .._replay.oracle import Replayer, heal_note
from .._run.quota import Quota, requesting
from ..errors import (
    CuaCheckFailed,
    CuaConfigError,
    CuaDomainBlocked,
    CuaMaxStepsExceeded,
    CuaSafetyCheckFailed,
    CuaStepFailed,
    hidden_from_users,
)
from ..settings import Settings
from ..trail import ActionRecord, Outcome, Source, StepResult, Trail, TurnRecord
from .dialog_turns import DialogTurns

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

NO_ACTION = "the computer call carried no action; send one action to perform"
_OWN = __name__.split(".")[0] + "."


def call_site() -> tuple[str, int, int] | None:
    """Where the test made the step: the first frame outside pytest-cua (file, line, and
    column; -1 where Python does not say, before 3.11), so an export can put the step's
    code in its place."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_globals.get("__name__") or "").startswith(_OWN):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    positions = getattr(frame.f_code, "co_positions", None)
    if positions is not None:
        found = list(positions())[frame.f_lasti // 2]
        if found[0] is not None and found[2] is not None:
            return frame.f_code.co_filename, found[0], found[2]
    return frame.f_code.co_filename, frame.f_lineno, -1


class StepObserver(Protocol):
    """Told about each step and turn as it happens; reporters implement it."""

    def step_started(self, step: StepResult) -> None: ...

    def turn_finished(self, step: StepResult, turn: TurnRecord) -> None: ...

    def step_finished(self, step: StepResult, error: BaseException | None) -> None: ...


class AgentCore:
    """The agent without its face: settings, the conversation, the trail, secrets, the
    step written once as a probe, and the `Replayer` for recorded steps. The facades say
    how the probe is run (`_run`), how to wait (`_sleep`) and which executor drives the
    page (`computer_class`)."""

    computer_class: Any = PageComputer
    _run: Any = staticmethod(drive.run)
    _sleep: Any = staticmethod(time.sleep)

    def __init__(
        self,
        page: Any,
        client: Any,
        settings: Settings,
        *,
        trail: Trail | None = None,
        observers: Iterable[StepObserver] = (),
        computer: PageComputer | None = None,
        tape: Tape | None = None,
        secrets: Mapping[str, str] | None = None,
        files: Iterable[str | os.PathLike[str]] = (),
        budget: Any = None,
        quota: Quota | None = None,
    ) -> None:
        self.client = client
        self.quota = quota if quota is not None else Quota()  # paces and retries requests
        self._warm = False  # the SDK's first-use imports done, outside any quota slot
        self.files = list(files)  # offered to every step (the cua_files fixture)
        self.tape = tape
        self.secrets: dict[str, str] = dict(secrets or {})
        self.budget = budget  # shared model-turn budget: .spend() before each request
        self._step_secrets: dict[str, str] = {}
        self.settings = settings
        # The vendor's dialect: the only part of the agent that knows who the model is.
        self.dialect = registry.dialect_for(settings, os.environ)
        self.computer = computer or self.computer_class(
            page, limit=self.dialect.screenshot_limit, image_format=settings.screenshot_format)
        self.trail = trail if trail is not None else Trail()
        self.trail.model, self.trail.variant = self.dialect.model, self.dialect.tool
        self.price = pricing.price_of(self.dialect.model, pricing.table(settings.prices))
        self.observers = list(observers)
        # A native dialog opened by an action is answered while that action waits (see
        # `dialogs`); the hand-off carries what happened there back to the step.
        self.dialogs = DialogTurns(self, self._run)
        self.computer.answer_dialog = self.dialogs.answer
        self.last_shot: Shot | None = None  # what the model saw before the running action
        self.current: StepResult | None = None  # the step running now
        self._acting_on: Any = None  # the page the running action started on
        self._last_tokens = self._reserved = 0  # a turn's tokens; reserved for the next
        self.trace_steps = False  # each step a group in Playwright's trace (--tracing)
        # What an action touched is named as Playwright would for cassettes and exports.
        self.computer.locators = bool(settings.export) or self._recording
        self.replayer = Replayer(self, settings, tape, Likeness(settings.replay_dates))
        self.conversation = Conversation(
            self.dialect,
            safety_policy=settings.safety_policy,
            max_steps=settings.max_steps,
            loop_limit=settings.loop_limit,
        )

    @property
    def page(self) -> Any:
        """The page the agent acts on now (a popup or new tab once one opened)."""
        return self.computer.page

    @property
    def base_url(self) -> str | None:
        """--base-url: replayed addresses are read relative to it."""
        return self.replayer.base_url

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        self.replayer.base_url = value

    @property
    def replay_screenshots(self) -> bool:
        """Whether replayed turns are screenshotted: only for reports that show images."""
        return self.replayer.screenshots

    @replay_screenshots.setter
    def replay_screenshots(self, value: bool) -> None:
        self.replayer.screenshots = value

    @property
    def likeness(self) -> Likeness:
        return self.replayer.likeness

    # -- a step, written once -----------------------------------------------------------
    def _step(self, kind: str, instruction: str, secrets: Mapping[str, str] | None = None,
              files: Iterable[str | os.PathLike[str]] | None = None) -> drive.Probe[StepResult]:
        __tracebackhide__ = True
        yield from self.computer.preparing()
        step, recorded = self._open_step(kind, instruction, secrets, files)
        if self.trace_steps:
            yield from self.computer.trace_group(step.title)
        try:
            yield from self.replayer.start_reading(step)
            finish = (yield from self.replayer.replaying_step(step, recorded)) \
                if recorded is not None else None
            if finish is None:
                finish = yield from self._driving(step)
            result = self._conclude(step, finish)
            if self.settings.export:
                yield from graduate.capture(self.computer, step, self.likeness)
                step.exported = {**(step.exported or {}), "secrets": sorted(self._step_secrets)}
        except BaseException as exc:
            self._step_failed(step, exc)
            if isinstance(exc, GeneratorExit):  # abandoned by its driver: no page call more
                self._close_step(step, exc)
            else:
                yield from self._ending(step, exc)
            raise
        yield from self._ending(step, None)
        return result

    def _ending(self, step: StepResult, error: BaseException | None) -> drive.Probe[None]:
        """Close the step, and its group in Playwright's trace."""
        self._close_step(step, error)
        if self.trace_steps:
            yield from self.computer.trace_group(None)

    def _driving(self, step: StepResult) -> drive.Probe[Finish]:
        """The model's turns until the step ends."""
        __tracebackhide__ = True
        shot = yield from self.computer.capture()
        decision: Send | Execute | Finish = self._begin(step, shot)
        carried: tuple[list[str], list[str]] = ([], [])
        while True:
            if isinstance(decision, Send | Finish):
                self.announce(step)
            if isinstance(decision, Send):
                decision = yield from self.asking(step, shot, decision)
            elif isinstance(decision, Execute):
                errors, events = yield from self._executing(step.turns[-1], decision, shot)
                errors, events = [*carried[0], *errors], [*carried[1], *events]
                resumed = self.dialogs.after(errors, events)
                if resumed is None:
                    shot = yield from self.computer.capture(*_zoomed(decision, shot))
                    resumed = self.dialogs.after(errors, events)  # a late dialog
                if resumed is not None:
                    decision, *carried = resumed  # type: ignore[assignment]
                    continue
                carried = ([], [])
                decision = self.conversation.executed(self.seen(shot), errors, events)
            else:
                if decision.outcome in ("verdict", "answer"):
                    yield from self.replayer.finish_reading(step)
                return decision

    def _executing(self, turn: TurnRecord, decision: Execute,
                   shot: Shot) -> drive.Probe[tuple[list[str], list[str]]]:
        errors: list[str] = []
        events: list[str] = []
        for position, action in enumerate(decision.actions):
            record = self._action_record(turn, position, action, errors)
            if record is None:
                continue
            if self._recording or self.settings.export:
                record.target = yield from self.computer.targeting(action, shot.scale)
            try:
                yield from self.performing(action, shot.scale, decision.read_only)
            except (ActionError, CuaDomainBlocked) as exc:
                self._action_failed(record, position, exc, errors)
            finally:
                self.browser_did(record, events)
            if self.dialogs.handoff.took_over:  # a dialog opened: the model has seen it, moved on
                self._skip_rest(turn, decision.actions[position + 1:])
                break
        if not decision.actions and decision is not self.dialogs.handoff.resumed:
            errors.append(NO_ACTION)
        return errors, events

    def performing(self, action: dict, scale: Scale, read_only: bool) -> drive.Probe[None]:
        """Execute one action (secrets revealed), then enforce the allowed domains."""
        self._acting_on = self.computer.page  # browser_did tells whether it opened another
        action, secret = self._secret_typing(action)
        if secret:
            yield from self.computer.marking_secret()
        try:
            yield from self.computer.executing(action, scale, read_only)
        except ActionError as exc:
            self._check_domains()  # a navigation the allowlist stopped is why it failed
            raise ActionError(self.redact(str(exc))) from None
        self._check_domains()

    @property
    def _recording(self) -> bool:
        """Whether this run writes a cassette: the only reader of what an action touched,
        so a run without one skips that probe."""
        return self.tape is not None and self.tape.mode in ("record", "auto")

    def _reveal(self, text: str) -> tuple[str, bool]:
        """The text with secret placeholders replaced by their values, and whether any was."""
        used = False
        for name, value in self._step_secrets.items():
            placeholder = "{" + name + "}"
            if placeholder in text:
                text, used = text.replace(placeholder, value), True
        return text, used

    def redact(self, text: str) -> str:
        """The text with every secret value replaced by its placeholder."""
        for name, value in sorted(self._step_secrets.items(), key=lambda kv: -len(kv[1])):
            if value:
                text = text.replace(value, "{" + name + "}")
        return text

    def _open_step(self, kind: str, instruction: str, secrets: Mapping[str, str] | None,
                   files: Iterable[str | os.PathLike[str]] | None = None,
                   ) -> tuple[StepResult, RecordedStep | None]:
        if not isinstance(instruction, str) or not instruction.strip():
            raise ValueError(f"cua_agent.{kind}() needs a non-empty instruction string")
        offered = uploads.OfferedFiles.of([*self.files, *(files or [])])
        index = len(self.trail.steps)
        recorded = self.tape.step(index, kind, instruction) if self.tape else None
        self._step_secrets = {**self.secrets, **(secrets or {})}
        step = self.trail.start_step(kind, instruction)
        step.site = call_site()
        self.current = step
        self.computer.enforce_domains(True)
        self.computer.begin_step(offered)
        if recorded is not None:
            step.source = Source.REPLAYED
        for observer in self.observers:
            observer.step_started(step)
        return step, recorded

    def _step_failed(self, step: StepResult, exc: BaseException) -> None:
        self.conversation.abandon()
        self.announce(step)
        if step.outcome == Outcome.RUNNING:
            step.finish(Outcome.FAILED if isinstance(exc, AssertionError) else Outcome.ERROR, False,
                        f"{type(exc).__name__}: {exc}")
        if step.source == Source.HEALED:  # a heal that did not work is no heal
            step.source = Source.MISMATCH
            step.reason = (f"replay mismatch: {step.heal_reason}\nthe model, asked to heal "
                           f"it, could not: {step.reason}")
            if hasattr(exc, "add_note"):
                exc.add_note("the model was asked because the replay no longer matched: "
                             + step.heal_reason)

    def _close_step(self, step: StepResult, error: BaseException | None) -> None:
        self.computer.enforce_domains(False)
        self.computer.end_step()
        if self.tape is not None:
            self.tape.sources.append(step.source)
        for observer in self.observers:
            observer.step_finished(step, error)

    def seen(self, shot: Shot) -> Image:
        """The screenshot as the model gets it, with the page it shows."""
        return replace(shot.image, page_url=self.page.url)

    def _begin(self, step: StepResult, shot: Shot) -> Send:
        instruction = step.instruction + (heal_note(step) if step.source == Source.HEALED else "")
        return self.conversation.begin(step.kind, instruction, self.seen(shot),
                                       done=self.replayer.take_unseen(),
                                       secrets=tuple(self._step_secrets))

    def asking(self, step: StepResult, shot: Shot, send: Send
               ) -> drive.Probe[Send | Execute | Finish]:
        """One model turn: the request under the budget and the quota, and its decision
        recorded in the trail."""
        turn = self._start_request(step, shot)
        try:
            response = yield from self._requesting(send.request)
        except Exception as exc:  # the turn shows why it has no answer
            turn.seconds = time.monotonic() - turn.started
            turn.error = self.redact(str(exc).splitlines()[0] if str(exc) else repr(exc))
            raise
        decision = self.conversation.receive(response)
        self._record_response(turn, decision)
        return decision

    def _start_request(self, step: StepResult, shot: Shot) -> TurnRecord:
        turn = self.new_turn(step, shot)
        if self.budget is not None:
            if self.budget.max_cost and self.price is None:
                raise CuaConfigError(
                    f"--cua-max-cost needs the price of model {self.dialect.model!r}, which "
                    "pytest-cua does not know: give it with --cua-price "
                    f"'{self.dialect.model}=INPUT,CACHED_INPUT,OUTPUT' (US dollars per "
                    "million tokens)")
            self.budget.spend()
        return turn

    def _requesting(self, request: dict) -> drive.Probe[Any]:
        """One model request under the provider's quota, retried as its faults allow."""
        if not self._warm:
            self.dialect.warm(self.client)
            self._warm = True
        # Its tokens are expected to be about the last turn's (the conversation grows
        # slowly): reserved as it starts, reconciled with the reply's usage.
        self._reserved = self._last_tokens
        return requesting(lambda: self.dialect.send(self.client, request), self._sleep,
                          self.quota, self.settings.timeout, self.dialect.fault,
                          self._reserved)

    def _secret_typing(self, action: dict) -> tuple[dict, bool]:
        """The action to run, with secret placeholders revealed, and whether it holds one."""
        if action.get("type") == "type" and isinstance(action.get("text"), str):
            text, used = self._reveal(action["text"])
            if used:
                return {**action, "text": text}, True
        return action, False

    def _check_domains(self) -> None:
        blocked = self.computer.take_blocked_navigations()
        if blocked and self.current is not None:
            raise CuaDomainBlocked(self.current.instruction, blocked,
                                   list(self.computer.step_rules), self.current)

    def _action_record(self, turn: TurnRecord, position: int, action: dict,
                       errors: list[str]) -> ActionRecord | None:
        """Record an action of a batch; None when it is skipped after an earlier failure."""
        record = ActionRecord(action, describe(action))
        turn.actions.append(record)
        if errors:
            record.error = "skipped: an earlier action of the batch failed"
            errors.append(f"action {position + 1} ({record.description}): {record.error}")
            return None
        return record

    def browser_did(self, record: ActionRecord, events: list[str]) -> None:
        """Put what the browser did during an action (file chooser, download, dialog) on
        its record, for the trail and the cassette, and in `events`, for the model."""
        happened = self.computer.take_events()
        notes = [self.redact(e) for e in happened.notes]
        record.events.extend(notes)
        record.description += "".join(f"; {e}" for e in notes)
        events.extend(notes)
        record.files = happened.files or record.files
        record.dialog = happened.dialog or record.dialog
        record.opened_page = self._acting_on is not None and \
            self.computer.page is not self._acting_on

    @staticmethod
    def _skip_rest(turn: TurnRecord, actions: list[dict]) -> None:
        turn.actions.extend(ActionRecord(a, describe(a), error="skipped: a dialog opened first")
                            for a in actions)

    @staticmethod
    def _action_failed(record: ActionRecord, position: int, exc: Exception,
                       errors: list[str]) -> None:
        if isinstance(exc, CuaDomainBlocked):
            record.error = f"blocked: {', '.join(exc.urls)}"
            raise exc
        record.error = str(exc)
        errors.append(f"action {position + 1} ({record.description}): {exc}")

    def new_turn(self, step: StepResult, shot: Shot) -> TurnRecord:
        self.last_shot = shot
        turn = TurnRecord(
            index=len(step.turns),
            screenshot=shot.png or None,
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
        turn.cached_tokens = model_turn.cached_tokens
        self._last_tokens = turn.input_tokens + turn.output_tokens
        self.quota.used(self._last_tokens, self._reserved)
        if self.price is not None:
            turn.cost_usd = self.price.cost(turn.input_tokens, turn.cached_tokens,
                                            turn.output_tokens)
            if self.budget is not None:
                self.budget.charge(turn.cost_usd)
        elif turn.input_tokens or turn.output_tokens:
            turn.cost_usd = None  # tokens were used at a price nobody gave
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

    def announce(self, step: StepResult) -> None:
        """Tell the listener about the last turn once its actions have run."""
        if step.turns and not step.turns[-1].announced:
            step.turns[-1].announced = True
            for observer in self.observers:
                observer.turn_finished(step, step.turns[-1])

    def _conclude(self, step: StepResult, finish: Finish) -> StepResult:
        __tracebackhide__ = True
        kind, instruction = step.kind, step.instruction
        step.ending = {k: v for k, v in asdict(finish).items() if v not in (None, [], "")}
        if finish.outcome == "verdict":
            step.finish(Outcome.PASSED if finish.passed else Outcome.FAILED, finish.passed,
                        finish.reason)
            if not finish.passed:
                failure = CuaCheckFailed if kind == "check" else CuaStepFailed
                raise failure(instruction, finish.reason, step)
            return step
        if finish.outcome == "answer":
            step.finish(Outcome.PASSED, True, finish.reason, finish.answer)
            return step
        if finish.outcome == "no_verdict":
            reason = f"the model answered in text instead of giving a verdict: {finish.reason}"
            step.finish(Outcome.FAILED, False, reason)
            failure = CuaCheckFailed if kind == "check" else CuaStepFailed
            raise failure(instruction, reason, step)
        if finish.outcome == "refused":
            step.finish(Outcome.FAILED, False, finish.reason)
            failure = CuaCheckFailed if kind == "check" else CuaStepFailed
            raise failure(instruction, finish.reason, step)
        if finish.outcome == "loop":
            step.finish(Outcome.FAILED, False, finish.reason)
            raise CuaStepFailed(instruction, finish.reason, step)
        if finish.outcome == "max_steps":
            step.finish(Outcome.FAILED, False, f"more than {self.settings.max_steps} model turns")
            raise CuaMaxStepsExceeded(instruction, self.settings.max_steps, step)
        if finish.outcome == "safety":
            codes = ", ".join(str(c.get("code")) for c in finish.refused_checks)
            step.finish(Outcome.FAILED, False, f"safety check(s) refused: {codes}")
            raise CuaSafetyCheckFailed(
                instruction, finish.refused_checks, self.settings.safety_policy, step
            )
        raise RuntimeError(f"unknown step outcome {finish.outcome!r}")  # pragma: no cover




def _zoomed(decision: Execute, shot: Shot) -> tuple[dict | None, Scale | None]:
    """A zoom as a call's last action is answered with that region (and the whole
    screen's scale, which the model's next coordinates still use)."""
    last = decision.actions[-1] if decision.actions else None
    if isinstance(last, dict) and last.get("type") == "zoom" and isinstance(
            last.get("region"), list) and len(last["region"]) == 4:
        return last, shot.scale
    return None, None
