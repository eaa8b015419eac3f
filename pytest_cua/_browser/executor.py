"""Executing the model's actions on a Playwright page, written once for both APIs.

What an action means is decided in `actions.plan()`; what a screenshot is, in
`screenshots`; the page-side scripts live in `js/`; what the browser does besides, in
`watch`. The executor performs the planned calls, captures, waits for the page to settle
and follows new tabs and popups. Each of these is a probe (`_core.drive`): the sync
`PageComputer` runs them with `drive.run`, the `AsyncPageComputer` with `drive.arun`, and
that is all that differs between them.
"""

from __future__ import annotations

import base64
import contextlib
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._core import dialogs, drive
from .._core.actions import ActionError, Scale, plan
from ..errors import hidden_from_users
from . import fingerprint, frames, screenshots, scripts
from .screenshots import Shot, encode_shot, fit, zoom_clip, zoom_shot
from .watch import PageWatch

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

# From the first action on, what changes by itself is seen too (js/watch.js).
_STATE_JS = scripts.load("settle.js") + scripts.load("watch.js")
ARM_JS = ("() => {" + _STATE_JS + "st.popup = false; st.chooser = false; st.armed = true; "
          "st.armedAt = performance.now(); st.timers.clear(); st.requests.clear(); }")
OPENED_WINDOW, OPENED_CHOOSER = 1, 2  # what SETTLE_JS reports an action started
SETTLE_JS = ("async ({quiet, cap}) => {" + f"const OPENED_WINDOW = {OPENED_WINDOW}, "
             f"OPENED_CHOOSER = {OPENED_CHOOSER};" + _STATE_JS
             + scripts.load("animations.js") + """
  // Quiet is proven, not waited for: nothing the action started is pending (short timers,
  // requests) and a frame was rendered since the last change without a new one.
  const start = performance.now();
  const busy = () => st.timers.size > 0 || st.requests.size > 0;
  const frame = () => new Promise(done => {
    let fired = false;
    const next = () => { if (!fired) { fired = true; st.sleep(0).then(done); } };
    requestAnimationFrame(next);
    st.sleep(100).then(next);  // no frames in a hidden page: do not wait for one
  });
  while (performance.now() - start < cap) {
    if (busy()) { await st.sleep(5); continue; }
    const mark = st.last;
    if (mark < st.armedAt) {  // nothing changed since the action: one task for late news
      await st.sleep(0);
      if (st.last === mark && !busy()) break;
      continue;
    }
    await frame();
    if (st.last === mark && !busy() && performance.now() - mark >= quiet) break;
  }
  st.armed = false;
  st.timers.clear();
  st.requests.clear();
  finishAnimations(everyAnimation());  // as the screenshot that follows shows the page
  return (st.popup ? OPENED_WINDOW : 0) | (st.chooser ? OPENED_CHOOSER : 0);
}
""")


@dataclass
class SettleConfig:
    """How long to wait for the page after an action, in ms: the least time without a
    change on top of the proof of quiet (SETTLE_JS), and the hard cap."""

    quiet_ms: int = 0
    cap_ms: int = 3000


class PageComputer(PageWatch):
    """Runs actions on a sync Playwright page and follows new tabs and popups.

    Every public method returns what its probe returns, through `_run`: a value here, an
    awaitable of it in `AsyncPageComputer`."""

    _run: Any = staticmethod(drive.run)

    def __init__(self, page: Any, *, limit: tuple[int, int],
                 settle: SettleConfig | None = None,
                 image_format: str = screenshots.AUTO) -> None:
        self.limit = limit
        self.encoding = screenshots.Encoding(image_format)
        self._cdp: dict[Any, Any] = {}  # page -> its DevTools session, or None (not Chromium)
        self.settle_config = settle or SettleConfig()
        self.masked = False  # a secret was typed: mask fields marked data-cua-secret
        self.settled = False  # the last action settled: animations just finished everywhere
        self.locators = False  # name what actions touch as an export would (--cua-export)
        super().__init__(page)

    # -- the public face: one line each, the same for both APIs -------------------------
    def prepare(self) -> Any:
        """Before each step: the allowed domains' route, installed once."""
        return self._run(self.preparing())

    def screenshot(self, zoom: dict | None = None, scale: Scale | None = None) -> Any:
        """The viewport as the model sees it (see `capture`)."""
        return self._run(self.capture(zoom, scale))

    def execute(self, action: dict, scale: Scale, read_only: bool = False) -> Any:
        """Perform one action; raises ActionError for an action the model must hear about."""
        return self._run(self.executing(action, scale, read_only))

    def settle(self) -> Any:
        """Wait until navigation is done and the DOM and network are quiet, up to a cap."""
        return self._run(self.settling())

    def target_of(self, action: dict, scale: Scale) -> Any:
        """The fingerprint of the element an action is about to touch, or None."""
        return self._run(self.targeting(action, scale))

    def locate(self, fp: dict, focus: bool = False) -> Any:
        """Find a fingerprinted element now: {x, y} in CSS pixels, {focused}, or {error}."""
        return self._run(frames.locate(self.page.main_frame, fp, focus))

    def mark_secret_field(self) -> Any:
        """Mark the focused field as holding a secret, so screenshots mask it."""
        return self._run(self.marking_secret())

    # -- allowed domains and dialogs: Playwright calls these, sync or async ----------------
    def allow_only(self, rules: tuple[str, ...]) -> None:
        """While a step runs, block requests to hosts the rules do not allow (`domains`).

        The test's own Playwright calls between steps are not restricted: the allowlist
        keeps the model from wandering, not the test author. The route is installed by
        `prepare()`, in the test's own event loop for an async page.
        """
        self.rules = rules

    def preparing(self) -> drive.Probe[None]:
        if self.rules and not self._routed:
            drive.reraise((yield (lambda: self.page.context.route("**/*", self._route))))
            self._routed = True

    def _route(self, route: Any) -> Any:
        return self._run(self._routing(route))

    def _routing(self, route: Any) -> drive.Probe[None]:
        blocked = self._blocks(route.request)
        drive.reraise((yield (lambda: route.abort("blockedbyclient") if blocked
                              else route.fallback())))

    def _dialog_opened(self, dialog: Any) -> Any:
        """Runs while the action that opened the dialog waits: the agent answers it."""
        return self._run(self._answering(dialog))

    def _answering(self, dialog: Any) -> drive.Probe[None]:
        info = self._dialog_info(dialog)
        answer = dialogs.Answer(False)
        ask = self.answer_dialog
        if ask is not None:
            answer = drive.reraise((yield (lambda: ask(info))))
        yield (lambda: self._dialog_answered(dialog, info, answer))  # the test's listener
        # may have answered it already: nothing to do then

    def _closed(self, page: Any) -> None:
        super()._closed(page)
        self._cdp.pop(page, None)

    # -- actions -------------------------------------------------------------------------
    def executing(self, action: dict, scale: Scale, read_only: bool = False
                  ) -> drive.Probe[None]:
        ops = plan(action, scale, read_only)
        if self._pending_chooser is not None and (yield from self._answer_chooser(action)):
            yield from self.settling()
            return
        if ops:
            self._known_pages = len(self._pages)
            yield from self._arming()
        for op in ops:
            target = self.page if op.target == "page" else getattr(self.page, op.target)
            done = yield partial(getattr(target, op.method), *op.args, **op.kwargs)
            if isinstance(done, Exception):
                if self.page.is_closed():
                    break
                raise ActionError(f"{action.get('type')} failed in the browser: {done}") \
                    from done
        if ops and action.get("type") not in ("wait", "screenshot"):
            yield from self.settling()
            self.settled = True
        if (yield from self._browser_events()):
            yield from self.settling()

    def settling(self) -> drive.Probe[None]:
        deadline = time.monotonic() + self.settle_config.cap_ms / 1000
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return
            opener = self.page
            opened = yield partial(opener.wait_for_load_state, "domcontentloaded",
                                   timeout=remaining_ms)
            if not isinstance(opened, Exception):
                opened = yield partial(opener.evaluate, SETTLE_JS,
                                       {"quiet": self.settle_config.quiet_ms,
                                        "cap": remaining_ms})
            if isinstance(opened, Exception):
                if opener.is_closed():
                    yield from self._following()
                    if self.page.is_closed():
                        return
                continue
            popup = yield from self._settle_frames(deadline, opened)
            if popup and len(self._pages) <= self._known_pages:
                new = yield partial(opener.context.wait_for_event, "page",
                                    timeout=remaining_ms)
                if isinstance(new, Exception):
                    self._known_pages = len(self._pages)
                else:
                    self._watch(new)
            if len(self._pages) > self._known_pages or self.page.is_closed():
                self._known_pages = len(self._pages)
                yield from self._following()
                continue
            if not self._inflight:
                return
            yield (lambda: self.page.wait_for_timeout(10))

    def _following(self) -> drive.Probe[None]:
        """Act on the newest open page from now on, brought to the front and loaded."""
        open_pages = [p for p in self._pages if not p.is_closed()]
        if not open_pages:
            return
        newest = open_pages[-1]
        if newest is not self.page or self.page.is_closed():
            self.page = newest
            front = yield (lambda: newest.bring_to_front())
            if not isinstance(front, Exception):
                yield (lambda: newest.wait_for_load_state(
                    "domcontentloaded", timeout=self.settle_config.cap_ms))

    # -- what actions touch (for cassettes and reports) -----------------------------------
    def targeting(self, action: dict, scale: Scale) -> drive.Probe[dict | None]:
        try:
            probe = self._target_probe(action, scale)
            return (yield from probe) if probe else None
        except Exception:  # a bad action is the executor's to report, not the probe's
            return None

    def trace_group(self, title: str | None) -> drive.Probe[None]:
        """Open a group named `title` in Playwright's trace, or close it (None), so the
        trace viewer shows each step's actions under its words. Without a trace running
        Playwright refuses, and that is no error of the step."""
        tracing = self.page.context.tracing
        yield (lambda: tracing.group(title)) if title is not None else tracing.group_end

    def marking_secret(self) -> drive.Probe[None]:
        self.masked = True
        with contextlib.suppress(Exception):  # a field that went away holds no secret
            yield from frames.mark_secret(self.page.main_frame)

    def _target_probe(self, action: dict, scale: Scale) -> drive.Probe[dict | None] | None:
        """The probe that fingerprints what an action will touch, or None."""
        kind = action.get("type")
        if kind == "drag" and self.locators:
            return self._drag_targeting(action, scale)
        if kind in fingerprint.POINT_ACTIONS:
            point = action.get("path", [{}])[0] if kind == "drag" else action
            x, y = scale.to_page(point.get("x"), point.get("y"))
            return frames.element_at(self.page.main_frame, x, y, self.locators)
        if kind in fingerprint.FOCUS_ACTIONS:
            return frames.focused(self.page.main_frame, self.locators)
        return None

    def _drag_targeting(self, action: dict, scale: Scale) -> drive.Probe[dict | None]:
        """What a drag picks up, with the locator of where it drops it (`to`)."""
        start, end = action["path"][0], action["path"][-1]
        fp = yield from frames.element_at(self.page.main_frame,
                                          *scale.to_page(start.get("x"), start.get("y")), True)
        drop = yield from frames.element_at(self.page.main_frame,
                                            *scale.to_page(end.get("x"), end.get("y")), True)
        if fp is not None and drop and drop.get("locator"):
            fp["to"] = drop["locator"]
        return fp

    def _frames(self) -> list[Any]:
        """The page's frames, top first; embedded apps settle and are read like the page."""
        return [f for f in self.page.frames if not f.is_detached()]

    def in_every_frame(self, script: str) -> drive.Probe[None]:
        """Run a script in every frame; a frame that cannot take it (going away) has
        nothing to do."""
        for frame in self._frames():
            yield partial(frame.evaluate, script)

    def _arming(self) -> drive.Probe[None]:
        """Install the settle script in every frame before an action (see ARM_JS)."""
        return self.in_every_frame(ARM_JS)

    def _settle_frames(self, deadline: float, opened: Any) -> drive.Probe[bool]:
        """Wait for each embedded frame's DOM and timers too, after the top page's (which
        reported `opened`); whether a window opened. A file input clicked anywhere makes
        the browser events wait for its chooser."""
        flags = opened if isinstance(opened, int) else 0
        for frame in self._frames()[1:]:
            cap = int((deadline - time.monotonic()) * 1000)
            if cap <= 0:
                break
            got = yield partial(frame.evaluate, SETTLE_JS,
                                {"quiet": self.settle_config.quiet_ms, "cap": cap})
            flags |= got if isinstance(got, int) else 0  # a frame that went away: nothing
        self._chooser_coming = self._chooser_coming or bool(flags & OPENED_CHOOSER)
        return bool(flags & OPENED_WINDOW)

    def unseen_shot(self) -> Shot:
        """No picture, only the mapping a screenshot would have: for replays nobody views."""
        size = _viewport(self.page)
        if size is None:
            raise ActionError("the page has no fixed viewport; a screenshot is needed")
        return Shot(b"", Scale(*fit(*size, self.limit), *size), "")

    def capture(self, zoom: dict | None = None,
                 scale: Scale | None = None) -> drive.Probe[Shot]:
        """The viewport as the model sees it (see `screenshots`); with a zoom action, that
        region of the page at full resolution (coordinates stay those of the whole screen).
"""
        page = self.page
        if zoom is not None and scale is not None:
            fmt = self.encoding.zoom()
            raw = yield (lambda: page.screenshot(**screenshots.playwright_params(fmt),
                                                 clip=zoom_clip(zoom, scale)))
            return zoom_shot(drive.reraise(raw), scale, fmt)
        fmt = self.encoding.next()
        session = None if self.masked else (yield from self._devtools(page))
        if session is not None:
            if not self.settled:  # settling finished them just now, in every frame
                yield from self.in_every_frame(screenshots.FINISH_ANIMATIONS_JS)
            self.settled = False
            reply = yield (lambda: session.send("Page.captureScreenshot",
                                                screenshots.cdp_params(fmt)))
            raw = base64.b64decode(drive.reraise(reply)["data"])
        else:
            args = screenshots.playwright_params(fmt)
            if self.masked:
                args.update(mask=frames.masks(page), mask_color="#222222")
            raw = drive.reraise((yield (lambda: page.screenshot(**args))))
        shot = encode_shot(raw, _viewport(page), self.limit, fmt)
        # CSS pixels on both paths (CDP only at device scale 1): the page's size is raw's.
        self.encoding.learn(fmt, len(raw), shot.scale.page_width * shot.scale.page_height)
        return shot

    def _devtools(self, page: Any) -> drive.Probe[Any]:
        """The page's DevTools session for fast screenshots, or None where there is none
        (Firefox, WebKit) or where its pixels would not be CSS pixels (a scaled device)."""
        if page not in self._cdp:
            ratio = yield (lambda: page.evaluate("devicePixelRatio"))
            if isinstance(ratio, Exception):  # navigating: ask again next time
                return None
            session = (yield (lambda: page.context.new_cdp_session(page))) if ratio == 1 \
                else None
            self._cdp[page] = None if isinstance(session, Exception) else session
        return self._cdp[page]




class AsyncPageComputer(PageComputer):
    """The same executor on an async Playwright page: its methods return awaitables."""

    _run = staticmethod(drive.arun)


def _viewport(page: Any) -> tuple[int, int] | None:
    size = page.viewport_size
    if size:
        return size["width"], size["height"]
    return None
