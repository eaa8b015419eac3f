"""The agents a test talks to: `CuaAgent` on a sync Playwright page, `AsyncCuaAgent` on
an async one (`await cua_agent("...")`).

Both are faces of the one step in `session`: the sync agent runs it with `drive.run`,
the async one with `drive.arun`, as Playwright's sync and async APIs face one
implementation. Several async agents on different pages can run their steps concurrently.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Mapping

from .._browser.executor import AsyncPageComputer, PageComputer
from .._core import drive
from ..errors import hidden_from_users
from ..trail import StepResult
from .session import AgentCore

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

Files = Iterable[str | os.PathLike[str]] | None


class CuaAgent(AgentCore):
    """Runs natural-language steps on a sync Playwright page through a computer-use model."""

    computer_class = PageComputer
    _run = staticmethod(drive.run)
    _sleep = staticmethod(time.sleep)

    def __call__(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                 files: Files = None) -> StepResult:
        __tracebackhide__ = True
        return drive.run(self._step("act", instruction, secrets, files))

    def act(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
            files: Files = None) -> StepResult:
        """Do the step; CuaStepFailed if the model reports it could not.

        `secrets` maps placeholder names to values: the model sees only `{name}`; the
        value is typed for it, masked in screenshots and never stored or sent. `files` are
        the files the step may upload: a file chooser the page opens gets one of them (the
        model names it when there are several); nothing else on disk is ever offered.
        """
        __tracebackhide__ = True
        return drive.run(self._step("act", instruction, secrets, files))

    def check(self, claim: str) -> StepResult:
        """Assert a claim about the page, without changing it; CuaCheckFailed if false."""
        __tracebackhide__ = True
        return drive.run(self._step("check", claim))

    def ask(self, question: str) -> str:
        """The model's answer to a question about the page."""
        __tracebackhide__ = True
        return drive.run(self._step("ask", question)).answer or ""


class AsyncCuaAgent(AgentCore):
    """Runs natural-language steps on an async Playwright page; the same methods as
    `CuaAgent`, awaited."""

    computer_class = AsyncPageComputer
    _run = staticmethod(drive.arun)
    _sleep = staticmethod(asyncio.sleep)

    async def __call__(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                       files: Files = None) -> StepResult:
        __tracebackhide__ = True
        return await drive.arun(self._step("act", instruction, secrets, files))

    async def act(self, instruction: str, *, secrets: Mapping[str, str] | None = None,
                  files: Files = None) -> StepResult:
        """Do the step (see `CuaAgent.act` for `secrets` and `files`)."""
        __tracebackhide__ = True
        return await drive.arun(self._step("act", instruction, secrets, files))

    async def check(self, claim: str) -> StepResult:
        __tracebackhide__ = True
        return await drive.arun(self._step("check", claim))

    async def ask(self, question: str) -> str:
        __tracebackhide__ = True
        return (await drive.arun(self._step("ask", question))).answer or ""
