"""A native dialog (alert, confirm, prompt, beforeunload) opened by an action: the page
waits while the model, shown a picture of the dialog, answers it.

The dialog's turns run while the action that opened it is still pending, inside the
executor's dialog handler; what they decide is handed back to the step (`DialogHandoff`)
once the action returns: the rest of the model's batch, or how the step ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .._browser.screenshots import Shot
from .._core import dialogs, drive
from .._core.actions import describe
from .._core.conversation import Conversation
from .._core.events import Execute, Finish, Image, Send
from .._replay.oracle import Replayer
from ..errors import hidden_from_users
from ..trail import ActionRecord, StepResult

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors


class DialogHost(Protocol):
    """What the dialog's turns use of the agent whose action opened it."""

    replayer: Replayer
    conversation: Conversation
    current: StepResult | None  # the step running
    last_shot: Shot | None  # what the model saw before the running action

    def seen(self, shot: Shot) -> Image: ...

    def announce(self, step: StepResult) -> None: ...

    def asking(self, step: StepResult, shot: Shot, send: Send
               ) -> drive.Probe[Send | Execute | Finish]: ...


@dataclass
class DialogHandoff:
    """What the model's turns about a dialog carry back to the step that was running an
    action when it opened."""

    took_over: bool = False  # a dialog's turns answered the running computer call
    resume: Execute | Finish | None = None  # what the model said after answering it
    resume_errors: list[str] = field(default_factory=list)
    resumed: Execute | None = None  # the rest of the model's batch, run after the dialog
    error: BaseException | None = None  # the model could not be asked


class DialogTurns:
    """The model's turns about the dialogs of one agent's steps."""

    def __init__(self, agent: DialogHost, run: Callable[[drive.Probe[Any]], Any]) -> None:
        self.agent = agent
        self.run = run  # the agent's driver: drive.run, or drive.arun for the async agent
        self.handoff = DialogHandoff()

    def answer(self, info: dialogs.DialogInfo) -> Any:
        """Called by the executor while the action that opened a dialog waits: the answer
        (an awaitable of it for the async agent)."""
        return self.run(self._answering(info))

    def _answering(self, info: dialogs.DialogInfo) -> drive.Probe[dialogs.Answer]:
        try:
            return (yield from self._turns(info))
        except BaseException as exc:  # the page must not stay frozen
            return self._failed(exc)

    def _turns(self, info: dialogs.DialogInfo) -> drive.Probe[dialogs.Answer]:
        """The model answers a dialog: the running computer call is answered with a picture
        of it, and the model's next actions are read against it until one answers it (in a
        replay, the cassette answers); what the model does after answering is resumed on
        the page."""
        agent = self.agent
        if agent.replayer.replaying is not None:
            return agent.replayer.replayed_dialog(info)
        step, base = agent.current, agent.last_shot
        if step is None or base is None or not base.png or not agent.conversation.executing:
            return dialogs.Answer(False)  # no model turn is waiting for this action
        parts = dialogs.layout(base.scale.shot_width, base.scale.shot_height, info)
        typed: str | None = None
        shot = Shot(dialogs.draw(base.png, info), base.scale)
        self.handoff.took_over = True
        decision = agent.conversation.executed(agent.seen(shot), [], [dialogs.opened(info)])
        while True:
            if isinstance(decision, Send | Finish):
                agent.announce(step)
            if isinstance(decision, Send):
                decision = yield from agent.asking(step, shot, decision)
            elif isinstance(decision, Execute):
                reading = dialogs.read(decision.actions, info, parts, typed)
                step.turns[-1].actions.extend(
                    ActionRecord(a, describe(a) + " (answering the dialog)", answers_dialog=True)
                    for a in decision.actions[:reading.used])
                if reading.answer is None:
                    typed = reading.typed
                    shot = Shot(dialogs.draw(base.png, info, typed), base.scale)
                    decision = agent.conversation.executed(agent.seen(shot), reading.errors,
                                                          [dialogs.opened(info, again=True)])
                    continue
                self.handoff.resume = replace(decision, actions=decision.actions[reading.used:])
                self.handoff.resume_errors = reading.errors
                return reading.answer
            else:  # the model ended the step with the dialog open: decline it
                self.handoff.resume = decision
                return dialogs.Answer(False)

    def _failed(self, exc: BaseException) -> dialogs.Answer:
        """The model could not be asked: decline, so the page unfreezes, then fail the step."""
        self.handoff.error = exc
        return dialogs.Answer(False)

    def after(self, errors: list[str], events: list[str]
                      ) -> tuple[Execute | Finish, list[str], list[str]] | None:
        """When a dialog's turns answered the running call: what the driver does next (the
        rest of the model's batch, or how the step ends), with what to tell the model."""
        handoff = self.handoff
        if handoff.error is not None:
            error, handoff.error = handoff.error, None
            handoff.took_over = False
            raise error
        if not handoff.took_over:
            return None
        handoff.took_over = False
        decision, handoff.resume = handoff.resume, None
        assert decision is not None
        if isinstance(decision, Execute):
            handoff.resumed = decision
        return decision, [*handoff.resume_errors, *errors], events
