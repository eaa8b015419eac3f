"""The Playwright executor over the async API, for the async agent.

It shares everything that is not I/O with the sync `PageComputer`: the action plan
(`plan`), key mapping, scaling, the settle and fingerprint scripts and the domain rules.
Only the awaiting differs.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from . import dialogs, probes
from .actions import ActionError, Scale, plan
from .computer import SETTLE_JS, ComputerState
from .screenshots import Shot


class AsyncPageComputer(ComputerState):
    """Runs actions on an async Playwright page and follows new tabs and popups."""

    # -- allowed domains (same rules as the sync executor) ---------------------
    def allow_only(self, rules: tuple[str, ...]) -> None:
        """Like the sync executor's; the route is installed by `prepare()`, in the loop."""
        self.rules = rules

    async def prepare(self) -> None:
        if self.rules and not self._routed:
            await self.page.context.route("**/*", self._route)
            self._routed = True

    async def _route(self, route: Any) -> None:
        if self._blocks(route.request):
            await route.abort("blockedbyclient")
        else:
            await route.fallback()

    async def _dialog_opened(self, dialog: Any) -> None:
        info = self._dialog_info(dialog)
        answer = await self.answer_dialog(info) if self.answer_dialog else dialogs.Answer(False)
        with contextlib.suppress(Exception):
            await self._dialog_answered(dialog, info, answer)

    # -- screenshots and probes ------------------------------------------------
    async def screenshot(self, zoom: dict | None = None, scale: Scale | None = None) -> Shot:
        return await probes.arun(self._capture(zoom, scale))

    async def target_of(self, action: dict, scale: Scale) -> dict | None:
        try:
            probe = self._target_probe(action, scale)
            return await probes.arun(probe) if probe else None
        except Exception:
            return None

    async def locate(self, fp: dict, focus: bool = False) -> dict:
        return await probes.arun(probes.locate(self.page.main_frame, fp, focus))

    async def mark_secret_field(self) -> None:
        self.masked = True
        with contextlib.suppress(Exception):
            await probes.arun(probes.mark_secret(self.page.main_frame))

    # -- actions -----------------------------------------------------------------
    async def execute(self, action: dict, scale: Scale, read_only: bool = False) -> None:
        ops = plan(action, scale, read_only)
        known = len(self._pages)
        if (self._pending_chooser is not None
                and await probes.arun(self._answer_chooser(action))):
            await self.settle(known)
            return
        if ops:
            await probes.arun(self._arming())
        for op in ops:
            target = self.page if op.target == "page" else getattr(self.page, op.target)
            try:
                await getattr(target, op.method)(*op.args, **op.kwargs)
            except Exception as exc:
                if self.page.is_closed():
                    break
                raise ActionError(f"{action.get('type')} failed in the browser: {exc}") from exc
        if ops and action.get("type") not in ("wait", "screenshot"):
            await self.settle(known)
            self.settled = True
        if await probes.arun(self._browser_events()):
            await self.settle(len(self._pages))

    async def settle(self, known_pages: int) -> None:
        """Navigation done, DOM and network quiet, new tabs followed; capped."""
        deadline = time.monotonic() + self.settle_config.cap_ms / 1000
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return
            page = self.page
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=remaining_ms)
                opened = await page.evaluate(
                    SETTLE_JS, {"quiet": self.settle_config.quiet_ms, "cap": remaining_ms})
                popup = await probes.arun(self._settle_frames(deadline, opened))
            except Exception:
                if page.is_closed():
                    self._follow()
                    if self.page.is_closed():
                        return
                continue
            if popup and len(self._pages) <= known_pages:
                with contextlib.suppress(Exception):
                    self._watch(await page.context.wait_for_event("page",
                                                                  timeout=remaining_ms))
            if len(self._pages) > known_pages:
                known_pages = len(self._pages)
                self._follow()
                with contextlib.suppress(Exception):
                    await self.page.wait_for_load_state("domcontentloaded",
                                                        timeout=remaining_ms)
                continue
            if not self._inflight:
                return
            await page.wait_for_timeout(10)

    def _follow(self) -> None:
        open_pages = [p for p in self._pages if not p.is_closed()]
        if open_pages:
            self.page = open_pages[-1]
