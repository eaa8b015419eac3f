"""The agent a test talks to: `cua_agent("...")`, `.check(...)`, `.ask(...)`.

It is the sync driver of the sans-IO `loop.Conversation`: it calls the model through the
provider, runs actions through the computer, records the trail, and turns the loop's
`Finish` into a return value or one of the exceptions of design.md section 2.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, replace
from typing import Any, Protocol

from . import dialogs, pricing, probes, providers, uploads
from .actions import ActionError, Scale, describe
from .cache import RecordedStep, Tape
from .computer import PageComputer
from .errors import (
    CuaCheckFailed,
    CuaConfigError,
    CuaDomainBlocked,
    CuaMaxStepsExceeded,
    CuaSafetyCheckFailed,
    CuaStepFailed,
)
from .likeness import Likeness
from .loop import Conversation, Execute, Finish, Image, Send
from .quota import Quota, requesting
from .replay import Replaying, heal_note
from .screenshots import Shot
from .settings import Settings
from .trail import ActionRecord, StepResult, Trail, TurnRecord

NO_ACTION = "the computer call carried no action; send one action to perform"


class StepObserver(Protocol):
    """Told about each step and turn as it happens; reporters implement it."""

    def step_started(self, step: StepResult) -> None: ...

    def turn_finished(self, step: StepResult, turn: TurnRecord) -> None: ...

    def step_finished(self, step: StepResult, error: BaseException | None) -> None: ...


class AgentCore(Replaying):
    """What the sync and async agents share: settings, the conversation, the trail, secrets
    and the step bookkeeping (and, from `replay`, how a recorded step is replayed). No I/O
    happens here; the drivers do it."""

    computer_class: Any = PageComputer

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
        self._unseen: list[str] = []  # steps replayed since the model last heard from us
        # Replayed turns are screenshotted only for reports that show images: a replay
        # nobody looks at runs at the speed of plain Playwright.
        self.replay_screenshots = True
        self.settings = settings
        self.base_url: str | None = None  # --base-url: replayed addresses are relative to it
        self.likeness = Likeness(settings.replay_dates)
        # The vendor's dialect: the only part of the agent that knows who the model is.
        self.dialect = providers.dialect_for(settings, os.environ)
        self.computer = computer or self.computer_class(
            page, limit=self.dialect.screenshot_limit, image_format=settings.screenshot_format)
        self.trail = trail if trail is not None else Trail()
        self.trail.model, self.trail.variant = self.dialect.model, self.dialect.tool
        self.price = pricing.price_of(self.dialect.model, pricing.table(settings.prices))
        self.observers = list(observers)
        # A native dialog opened by an action is answered while that action waits (see
        # `dialogs`); these carry what happened there back to the step's driver.
        self.computer.answer_dialog = self._answer_dialog
        self._last_shot: Shot | None = None  # what the model saw before the running action
        self._replaying: dict | None = None  # the cassette entry of the action replayed now
        self._took_over = False  # a dialog's turns answered the running computer call
        self._resume: Execute | Finish | None = None  # what the model said after the dialog
        self._resume_errors: list[str] = []
        self._resumed: Execute | None = None
        self._dialog_error: BaseException | None = None
        self._dialog_problem = ""  # replay: a dialog the cassette did not expect
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

    def _redact(self, text: str) -> str:
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
        self._step = step
        self.computer.enforce_domains(True)
        self.computer.begin_step(offered)
        if recorded is not None:
            step.source = "replayed"
        for observer in self.observers:
            observer.step_started(step)
        return step, recorded

    def _step_failed(self, step: StepResult, exc: BaseException) -> None:
        self.conversation.abandon()
        self._announce(step)
        if step.outcome == "running":
            step.finish("failed" if isinstance(exc, AssertionError) else "error", False,
                        f"{type(exc).__name__}: {exc}")
        if step.source == "healed":  # a heal that did not work is no heal: the mismatch stays
            step.source = "mismatch"
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

    def _seen(self, shot: Shot) -> Image:
        """The screenshot as the model gets it, with the page it shows."""
        return replace(shot.image, page_url=self.page.url)

    def _begin(self, step: StepResult, shot: Shot) -> Send:
        instruction = step.instruction + (heal_note(step) if step.source == "healed" else "")
        decision = self.conversation.begin(step.kind, instruction, self._seen(shot),
                                           done=self._unseen,
                                           secrets=tuple(self._step_secrets))
        self._unseen = []
        return decision

    def _start_request(self, step: StepResult, shot: Shot) -> TurnRecord:
        turn = self._new_turn(step, shot)
        if self.budget is not None:
            if self.budget.max_cost and self.price is None:
                raise CuaConfigError(
                    f"--cua-max-cost needs the price of model {self.dialect.model!r}, which "
                    "pytest-cua does not know: give it with --cua-price "
                    f"'{self.dialect.model}=INPUT,CACHED_INPUT,OUTPUT' (US dollars per "
                    "million tokens)")
            self.budget.spend()
        return turn

    def _requesting(self, send: Callable[[Any, dict], Any], request: dict,
                    sleep: Callable[[float], Any]) -> probes.Probe[Any]:
        """One model request under the provider's quota, retried as its faults allow: a
        probe of sleeps and the send, for `probes.run` or `probes.arun`."""
        if not self._warm:
            self.dialect.warm(self.client)
            self._warm = True
        return requesting(lambda: send(self.client, request), sleep, self.quota,
                          self.settings.timeout)

    def _secret_typing(self, action: dict) -> tuple[dict, bool]:
        """The action to run, with secret placeholders revealed, and whether it holds one."""
        if action.get("type") == "type" and isinstance(action.get("text"), str):
            text, used = self._reveal(action["text"])
            if used:
                return {**action, "text": text}, True
        return action, False

    def _check_domains(self) -> None:
        blocked = self.computer.take_blocked_navigations()
        if blocked:
            raise CuaDomainBlocked(self._step.instruction, blocked,
                                   list(self.computer.step_rules), self._step)

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

    def _browser_did(self, record: ActionRecord, events: list[str]) -> None:
        """Put what the browser did during an action (file chooser, download, dialog) on
        its record, for the trail and the cassette, and in `events`, for the model."""
        happened = self.computer.take_events()
        notes = [self._redact(e) for e in happened.notes]
        record.events.extend(notes)
        record.description += "".join(f"; {e}" for e in notes)
        events.extend(notes)
        record.files = happened.files or record.files
        record.dialog = happened.dialog or record.dialog

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

    # -- native dialogs ----------------------------------------------------------
    def _answer_dialog(self, info: dialogs.DialogInfo) -> Any:  # pragma: no cover
        raise NotImplementedError  # each driver's own: it waits for the model its way

    def _dialog_turns(self, info: dialogs.DialogInfo, send: Callable[[Any, dict], Any],
                      sleep: Callable[[float], Any]) -> probes.Probe[dialogs.Answer]:
        """The model answers a dialog: the running computer call is answered with a picture
        of it, and the model's next actions are read against it until one answers it (in a
        replay, the cassette answers). Yields the model requests as calls of `send` (the
        dialect's `create` or `acreate`), so either driver runs it with `probes.run` or
        `probes.arun`; what the model does after answering is resumed on the page."""
        if self._replaying is not None:
            return self._replayed_dialog(info)
        step, base = self._step, self._last_shot
        if base is None or not base.png or not self.conversation.executing:
            return dialogs.Answer(False)  # no model turn is waiting for this action
        parts = dialogs.layout(base.scale.shot_width, base.scale.shot_height, info)
        typed: str | None = None
        shot = Shot(dialogs.draw(base.png, info), base.scale)
        self._took_over = True
        decision = self.conversation.executed(self._seen(shot), [], [dialogs.opened(info)])
        while True:
            if isinstance(decision, Send | Finish):
                self._announce(step)
            if isinstance(decision, Send):
                turn = self._start_request(step, shot)
                response = yield from self._requesting(send, decision.request, sleep)
                decision = self.conversation.receive(response)
                self._record_response(turn, decision)
            elif isinstance(decision, Execute):
                reading = dialogs.read(decision.actions, info, parts, typed)
                step.turns[-1].actions.extend(
                    ActionRecord(a, describe(a) + " (answering the dialog)", answers_dialog=True)
                    for a in decision.actions[:reading.used])
                if reading.answer is None:
                    typed = reading.typed
                    shot = Shot(dialogs.draw(base.png, info, typed), base.scale)
                    decision = self.conversation.executed(self._seen(shot), reading.errors,
                                                          [dialogs.opened(info, again=True)])
                    continue
                self._resume = replace(decision, actions=decision.actions[reading.used:])
                self._resume_errors = reading.errors
                return reading.answer
            else:  # the model ended the step with the dialog open: decline it
                self._resume = decision
                return dialogs.Answer(False)

    def _dialog_failed(self, exc: BaseException) -> dialogs.Answer:
        """The model could not be asked: decline, so the page unfreezes, then fail the step."""
        self._dialog_error = exc
        return dialogs.Answer(False)

    def _after_dialog(self, errors: list[str], events: list[str]
                      ) -> tuple[Execute | Finish, list[str], list[str]] | None:
        """When a dialog's turns answered the running call: what the driver does next (the
        rest of the model's batch, or how the step ends), with what to tell the model."""
        if self._dialog_error is not None:
            error, self._dialog_error = self._dialog_error, None
            self._took_over = False
            raise error
        if not self._took_over:
            return None
        self._took_over = False
        decision, self._resume = self._resume, None
        assert decision is not None
        if isinstance(decision, Execute):
            self._resumed = decision
        return decision, [*self._resume_errors, *errors], events

    def _new_turn(self, step: StepResult, shot: Shot) -> TurnRecord:
        self._last_shot = shot
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
        self.quota.used(turn.input_tokens + turn.output_tokens)
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

    def _announce(self, step: StepResult) -> None:
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
        if finish.outcome == "refused":
            step.finish("failed", False, finish.reason)
            failure = CuaCheckFailed if kind == "check" else CuaStepFailed
            raise failure(instruction, finish.reason, step)
        if finish.outcome == "loop":
            step.finish("failed", False, finish.reason)
            raise CuaStepFailed(instruction, finish.reason, step)
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


class CuaAgent(AgentCore):
    """Runs natural-language steps on a sync Playwright page through a computer-use model."""

    def __call__(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                 files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        __tracebackhide__ = True
        return self.act(instruction, secrets=secrets, files=files)

    def act(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
            files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        """Do the step; CuaStepFailed if the model reports it could not.

        `secrets` maps placeholder names to values: the model sees only `{name}`; the
        value is typed for it, masked in screenshots and never stored or sent. `files` are
        the files the step may upload: a file chooser the page opens gets one of them (the
        model names it when there are several); nothing else on disk is ever offered.
        """
        __tracebackhide__ = True
        return self._run("act", instruction, secrets, files)

    def check(self, claim: str) -> StepResult:
        """Assert a claim about the page, without changing it; CuaCheckFailed if false."""
        __tracebackhide__ = True
        return self._run("check", claim)

    def ask(self, question: str) -> str:
        """The model's answer to a question about the page."""
        __tracebackhide__ = True
        return self._run("ask", question).answer or ""

    def _answer_dialog(self, info: dialogs.DialogInfo) -> dialogs.Answer:
        """Called by the executor while the action that opened a dialog waits."""
        try:
            return probes.run(self._dialog_turns(info, self.dialect.create, time.sleep))
        except BaseException as exc:  # the page must not stay frozen
            return self._dialog_failed(exc)


    def _perform(self, action: dict, scale: Scale, read_only: bool) -> None:
        """Execute one action (secrets revealed), then enforce the allowed domains."""
        action, secret = self._secret_typing(action)
        if secret:
            self.computer.mark_secret_field()
        try:
            self.computer.execute(action, scale, read_only)
        except ActionError as exc:
            self._check_domains()  # a navigation the allowlist stopped is why it failed
            raise ActionError(self._redact(str(exc))) from None
        self._check_domains()

    def _run(self, kind: str, instruction: str, secrets: Mapping[str, str] | None = None,
             files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        __tracebackhide__ = True
        step, recorded = self._open_step(kind, instruction, secrets, files)
        error: BaseException | None = None
        try:
            probes.run(self._start_reading(step))
            finish = probes.run(self._replaying_step(step, recorded)) \
                if recorded is not None else None
            if finish is None:
                finish = self._drive(step)
            return self._conclude(step, finish)
        except BaseException as exc:
            error = exc
            self._step_failed(step, exc)
            raise
        finally:
            self._close_step(step, error)

    def _drive(self, step: StepResult) -> Finish:
        __tracebackhide__ = True
        shot = self.computer.screenshot()
        decision: Send | Execute | Finish = self._begin(step, shot)
        carried: tuple[list[str], list[str]] = ([], [])
        while True:
            if isinstance(decision, Send | Finish):
                self._announce(step)
            if isinstance(decision, Send):
                turn = self._start_request(step, shot)
                response = probes.run(self._requesting(self.dialect.create, decision.request,
                                                       time.sleep))
                decision = self.conversation.receive(response)
                self._record_response(turn, decision)
            elif isinstance(decision, Execute):
                errors, events = self._execute(step.turns[-1], decision, shot)
                errors, events = [*carried[0], *errors], [*carried[1], *events]
                resumed = self._after_dialog(errors, events)
                if resumed is None:
                    shot = self.computer.screenshot(*_zoomed(decision, shot))
                    resumed = self._after_dialog(errors, events)  # a late dialog
                if resumed is not None:
                    decision, *carried = resumed  # type: ignore[assignment]
                    continue
                carried = ([], [])
                decision = self.conversation.executed(self._seen(shot), errors, events)
            else:
                if decision.outcome in ("verdict", "answer"):
                    probes.run(self._finish_reading(step))
                return decision

    def _execute(self, turn: TurnRecord, decision: Execute,
                 shot: Shot) -> tuple[list[str], list[str]]:
        errors: list[str] = []
        events: list[str] = []
        for position, action in enumerate(decision.actions):
            record = self._action_record(turn, position, action, errors)
            if record is None:
                continue
            if self._recording:
                record.target = self.computer.target_of(action, shot.scale)
            try:
                self._perform(action, shot.scale, decision.read_only)
            except (ActionError, CuaDomainBlocked) as exc:
                self._action_failed(record, position, exc, errors)
            finally:
                self._browser_did(record, events)
            if self._took_over:  # a dialog opened: the model has seen it and moved on
                self._skip_rest(turn, decision.actions[position + 1:])
                break
        if not decision.actions and decision is not self._resumed:
            errors.append(NO_ACTION)
        return errors, events


def _zoomed(decision: Execute, shot: Shot) -> tuple[dict | None, Scale | None]:
    """A zoom as a call's last action is answered with that region (and the whole
    screen's scale, which the model's next coordinates still use)."""
    last = decision.actions[-1] if decision.actions else None
    if isinstance(last, dict) and last.get("type") == "zoom" and isinstance(
            last.get("region"), list) and len(last["region"]) == 4:
        return last, shot.scale
    return None, None
