"""The async agent: `await cua_agent("...")` on an async Playwright page.

The async driver of the same sans-IO `loop.Conversation` the sync agent drives, with the
same bookkeeping (`AgentCore`): one implementation of the protocol, two ways of waiting.
Several async agents on different pages can run their steps concurrently. Cassettes
record and replay the same way as for the sync agent, through the same code.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Mapping

from . import dialogs, probes
from .actions import ActionError, Scale
from .agent import NO_ACTION, AgentCore, _zoomed
from .async_computer import AsyncPageComputer
from .errors import CuaDomainBlocked
from .loop import Execute, Finish, Send
from .screenshots import Shot
from .trail import StepResult, TurnRecord


class AsyncCuaAgent(AgentCore):
    """Runs natural-language steps on an async Playwright page through a computer-use model."""

    computer_class = AsyncPageComputer

    async def __call__(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                       files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        __tracebackhide__ = True
        return await self.act(instruction, secrets=secrets, files=files)

    async def act(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                  files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        """Do the step; CuaStepFailed if the model reports it could not (see
        `CuaAgent.act` for `secrets` and `files`)."""
        __tracebackhide__ = True
        return await self._run("act", instruction, secrets, files)

    async def check(self, claim: str) -> StepResult:
        """Assert a claim about the page, without changing it; CuaCheckFailed if false."""
        __tracebackhide__ = True
        return await self._run("check", claim)

    async def ask(self, question: str) -> str:
        """The model's answer to a question about the page."""
        __tracebackhide__ = True
        return (await self._run("ask", question)).answer or ""

    async def _run(self, kind: str, instruction: str,
                   secrets: Mapping[str, str] | None = None,
                   files: Iterable[str | os.PathLike[str]] | None = None) -> StepResult:
        __tracebackhide__ = True
        await self.computer.prepare()
        step, recorded = self._open_step(kind, instruction, secrets, files)
        error: BaseException | None = None
        try:
            await probes.arun(self._start_reading(step))
            finish = await probes.arun(self._replaying_step(step, recorded)) \
                if recorded is not None else None
            if finish is None:
                finish = await self._drive(step)
            return self._conclude(step, finish)
        except BaseException as exc:
            error = exc
            self._step_failed(step, exc)
            raise
        finally:
            self._close_step(step, error)

    async def _drive(self, step: StepResult) -> Finish:
        __tracebackhide__ = True
        shot = await self.computer.screenshot()
        decision: Send | Execute | Finish = self._begin(step, shot)
        carried: tuple[list[str], list[str]] = ([], [])
        while True:
            if isinstance(decision, Send | Finish):
                self._announce(step)
            if isinstance(decision, Send):
                turn = self._start_request(step, shot)
                response = await probes.arun(self._requesting(self.dialect.acreate,
                                                              decision.request, asyncio.sleep))
                decision = self.conversation.receive(response)
                self._record_response(turn, decision)
            elif isinstance(decision, Execute):
                errors, events = await self._execute(step.turns[-1], decision, shot)
                errors, events = [*carried[0], *errors], [*carried[1], *events]
                resumed = self._after_dialog(errors, events)
                if resumed is None:
                    shot = await self.computer.screenshot(*_zoomed(decision, shot))
                    resumed = self._after_dialog(errors, events)
                if resumed is not None:
                    decision, *carried = resumed  # type: ignore[assignment]
                    continue
                carried = ([], [])
                decision = self.conversation.executed(self._seen(shot), errors, events)
            else:
                if decision.outcome in ("verdict", "answer"):
                    await probes.arun(self._finish_reading(step))
                return decision

    async def _execute(self, turn: TurnRecord, decision: Execute,
                       shot: Shot) -> tuple[list[str], list[str]]:
        errors: list[str] = []
        events: list[str] = []
        for position, action in enumerate(decision.actions):
            record = self._action_record(turn, position, action, errors)
            if record is None:
                continue
            if self._recording:
                record.target = await self.computer.target_of(action, shot.scale)
            try:
                await self._perform(action, shot.scale, decision.read_only)
            except (ActionError, CuaDomainBlocked) as exc:
                self._action_failed(record, position, exc, errors)
            finally:
                self._browser_did(record, events)
            if self._took_over:
                self._skip_rest(turn, decision.actions[position + 1:])
                break
        if not decision.actions and decision is not self._resumed:
            errors.append(NO_ACTION)
        return errors, events

    async def _answer_dialog(self, info: dialogs.DialogInfo) -> dialogs.Answer:
        """Called by the executor while the action that opened a dialog waits."""
        try:
            return await probes.arun(self._dialog_turns(info, self.dialect.acreate,
                                                        asyncio.sleep))
        except BaseException as exc:  # the page must not stay frozen
            return self._dialog_failed(exc)

    async def _perform(self, action: dict, scale: Scale, read_only: bool) -> None:
        action, secret = self._secret_typing(action)
        if secret:
            await self.computer.mark_secret_field()
        try:
            await self.computer.execute(action, scale, read_only)
        except ActionError as exc:
            self._check_domains()  # a navigation the allowlist stopped is why it failed
            raise ActionError(self._redact(str(exc))) from None
        self._check_domains()
