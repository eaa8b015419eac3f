"""Executing the model's actions on a sync Playwright page (and what both executors share).

What an action means is decided in `actions.plan()`; what a screenshot is, in
`screenshots`; the page-side scripts live in `js/`. The executors only perform the planned
calls, capture, wait for the page to settle, follow new tabs, and watch what the browser
does besides (file choosers, downloads, dialogs, requests the allowlist blocks).
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import dialogs, domains, fingerprint, probes, screenshots, scripts, uploads
from .actions import ActionError, Scale, plan
from .screenshots import Shot, encode_shot, fit, zoom_clip, zoom_shot

CHOOSER_WAIT_MS = 2000  # how long the browser may take to report a chooser or download


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


@dataclass
class BrowserEvents:
    """What an action started besides changing the page."""

    notes: list[str]  # for the model and the trail
    files: list[str] | None  # offered files a file chooser got
    dialog: dict | None  # a native dialog and how it was answered


class ComputerState:
    """What both executors (sync here, async in `async_computer`) keep and decide without
    I/O: open pages, requests in flight, the domain rules and what they blocked."""

    def __init__(self, page: Any, *, limit: tuple[int, int],
                 settle: SettleConfig | None = None,
                 image_format: str = screenshots.AUTO) -> None:
        self.limit = limit
        self.encoding = screenshots.Encoding(image_format)
        self._cdp: dict[Any, Any] = {}  # page -> its DevTools session, or None (not Chromium)
        self.settle_config = settle or SettleConfig()
        self._inflight: set[Any] = set()
        self._pages: list[Any] = []
        self._known_pages = 0
        self.page = page
        self.masked = False  # a secret was typed: mask fields marked data-cua-secret
        self.settled = False  # the last action settled: animations just finished everywhere
        self.blocked: list[tuple[str, bool]] = []  # (url, was a main-frame navigation)
        self.rules: tuple[str, ...] = ()
        self.step_rules: tuple[str, ...] = ()  # in force while a step runs, else nothing
        self._routed = False
        # What actions start besides page changes: file choosers, downloads, dialogs.
        self.in_step = False
        self.files = uploads.OfferedFiles()  # what the running step may upload
        self.download_dir: Path | None = None  # where downloads are saved (the test's folder)
        self.downloads: list[Path] = []  # files saved so far, for the trail and the test
        self.events: list[str] = []  # told to the model after the action, and to the trail
        self.chosen: list[str] | None = None  # file names the last action put in a chooser
        self._choosers: list[Any] = []
        self._pending_chooser: Any = None  # waiting for the model to name a file
        self._chooser_coming = False  # a file input was clicked: its chooser will be reported
        self._download_coming = False  # a navigation became a download: it will be reported
        self._downloads: list[Any] = []
        # Native dialogs freeze the page: while a step runs, the agent answers them through
        # this callback (with the model's next action); outside steps Playwright's default
        # (or the test's own listener) applies.
        self.answer_dialog: Callable[[dialogs.DialogInfo], Any] | None = None
        self.dialog: dict | None = None  # the last action's dialog and its answer
        self._dialog_pages: list[Any] = []
        self._watch(page)
        page.context.on("page", self._watch)

    def _watch(self, page: Any) -> None:
        if page in self._pages:
            return
        self._pages.append(page)
        page.on("request", self._request_started)
        page.on("requestfinished", self._request_ended)
        page.on("requestfailed", self._request_failed)
        page.on("close", self._closed)
        page.on("filechooser", self._chooser_opened)
        page.on("download", self._download_started)
        if self.in_step:
            self._listen_for_dialogs(page)

    def _request_started(self, request: Any) -> None:
        self._inflight.add(request)

    def _request_ended(self, request: Any) -> None:
        self._inflight.discard(request)

    def _request_failed(self, request: Any) -> None:
        self._inflight.discard(request)
        # A navigation that turns into a download is aborted first; the download event
        # follows a moment later, so say it is coming.
        if self.in_step and request.is_navigation_request() and "ERR_ABORTED" in str(
                request.failure or ""):
            self._download_coming = True

    def _chooser_opened(self, chooser: Any) -> None:
        if self.in_step:  # the test's own Playwright code handles its own choosers
            self._choosers.append(chooser)

    def _download_started(self, download: Any) -> None:
        if self.in_step:
            self._downloads.append(download)

    def begin_step(self, files: uploads.OfferedFiles) -> None:
        self.in_step, self.files = True, files
        self.events, self.chosen, self.dialog = [], None, None
        for page in self._pages:
            self._listen_for_dialogs(page)

    def end_step(self) -> None:
        self.in_step, self.files = False, uploads.OfferedFiles()
        self._choosers, self._downloads, self._pending_chooser = [], [], None
        for page in self._dialog_pages:
            with contextlib.suppress(Exception):
                page.remove_listener("dialog", self._dialog_opened)
        self._dialog_pages = []

    def _listen_for_dialogs(self, page: Any) -> None:
        if page not in self._dialog_pages and not page.is_closed():
            page.on("dialog", self._dialog_opened)
            self._dialog_pages.append(page)

    def _dialog_opened(self, dialog: Any) -> Any:  # pragma: no cover - each executor's own
        raise NotImplementedError

    def _dialog_info(self, dialog: Any) -> dialogs.DialogInfo:
        return dialogs.DialogInfo(dialog.type, dialog.message, dialog.default_value or "")

    def _dialog_answered(self, dialog: Any, info: dialogs.DialogInfo,
                         answer: dialogs.Answer) -> Any:
        """Remember the answer for the trail and the cassette, and give it: the call's
        result (awaited by the async executor)."""
        self.events.append(dialogs.answered(info, answer))
        self.dialog = {**info.to_dict(), **answer.to_dict()}
        if not answer.accept:
            return dialog.dismiss()
        return dialog.accept(answer.text) if answer.text is not None else dialog.accept()

    def take_events(self) -> BrowserEvents:
        """What the browser did during the last action: told to the model and kept."""
        happened = BrowserEvents(self.events, self.chosen, self.dialog)
        self.events, self.chosen, self.dialog = [], None, None
        return happened

    def _chooser_choice(self, chooser: Any) -> uploads.Choice:
        """Decide about a chooser that just opened; keep it open when the model must pick."""
        choice = uploads.on_open(self.files, chooser.is_multiple())
        if choice.files is None:
            self._pending_chooser = chooser
        self.events.append(choice.note)
        return choice

    def _answer_chooser(self, action: dict) -> probes.Probe[bool]:
        """Close the open chooser with what the model's next action chose; whether that
        action was the answer (a typed file name) rather than something to run on the page."""
        chooser, self._pending_chooser = self._pending_chooser, None
        typed = action.get("text") if action.get("type") == "type" else None
        choice = uploads.on_answer(self.files, chooser.is_multiple(), typed)
        self.events.append(choice.note)
        done = yield (lambda: chooser.set_files(choice.files))
        if not isinstance(done, Exception):  # else the page moved on without it
            self._chose(choice)
        return bool(choice.files) or typed is not None

    def _browser_events(self) -> probes.Probe[bool]:
        """Answer the file choosers and keep the downloads an action started; whether the
        page changed (files set on an input). Driven like a probe by either executor."""
        changed = False
        if self._chooser_coming and not self._choosers:
            yield (lambda: self.page.wait_for_event("filechooser", timeout=CHOOSER_WAIT_MS))
        self._chooser_coming = False
        while self._choosers:
            chooser = self._choosers.pop(0)
            choice = self._chooser_choice(chooser)
            if choice.files is not None:
                done = yield (lambda c=chooser, f=choice.files: c.set_files(f))
                if not isinstance(done, Exception):
                    self._chose(choice)
                    changed = True
        if self._download_coming and not self._downloads:
            yield (lambda: self.page.wait_for_event("download", timeout=CHOOSER_WAIT_MS))
        self._download_coming = False
        while self._downloads:
            download = self._downloads.pop(0)
            name, path = download.suggested_filename, None
            failure = yield (lambda d=download: d.failure())
            if not failure:
                path = self._download_target(name)
                saved = yield (lambda d=download, p=path: d.save_as(p) if p else None)
                if isinstance(saved, Exception):
                    failure, path = str(saved), None
            self._downloaded(name, path, str(failure) if failure else None)
        return changed

    def _chose(self, choice: uploads.Choice) -> None:
        if choice.files:
            self.chosen = [*(self.chosen or []), *(p.name for p in choice.files)]

    def _download_target(self, name: str) -> Path | None:
        if self.download_dir is None:
            return None
        self.download_dir.mkdir(parents=True, exist_ok=True)
        path, n = self.download_dir / Path(name).name, 1
        while path.exists():
            path, n = self.download_dir / f"{Path(name).stem}-{n}{Path(name).suffix}", n + 1
        return path

    def _downloaded(self, name: str, path: Path | None, failure: str | None) -> None:
        if failure:
            self.events.append(f"the download of {name} failed: {failure}")
        elif path is None:
            self.events.append(f"a download of {name} started (not kept: no output folder)")
        else:
            self.events.append(f"downloaded {uploads.describe(name, path.stat().st_size)}")
            self.downloads.append(path)

    def _closed(self, page: Any) -> None:
        if page in self._pages:
            self._pages.remove(page)
        self._cdp.pop(page, None)

    def enforce_domains(self, on: bool) -> None:
        """Start or stop enforcing; the page the step starts on is always allowed."""
        if not self._routed:
            return
        own = domains.host_rule(self.page.url) if on else None
        self.step_rules = (*self.rules, *([own] if own else [])) if on else ()

    def _blocks(self, request: Any) -> bool:
        """Whether a request must be aborted now; a blocked one is remembered."""
        if not self.step_rules or domains.allowed(request.url, self.step_rules):
            return False
        navigation = request.is_navigation_request() and request.frame.parent_frame is None
        self.blocked.append((request.url, navigation))
        return True

    def take_blocked_navigations(self) -> list[str]:
        """Main-frame navigations blocked since the last call."""
        urls = [url for url, navigation in self.blocked if navigation]
        self.blocked = [(u, n) for u, n in self.blocked if not n]
        return urls

    def _target_probe(self, action: dict, scale: Scale) -> probes.Probe[dict | None] | None:
        """The probe that fingerprints what an action will touch, or None."""
        kind = action.get("type")
        if kind in fingerprint.POINT_ACTIONS:
            point = action.get("path", [{}])[0] if kind == "drag" else action
            x, y = scale.to_page(point.get("x"), point.get("y"))
            return probes.element_at(self.page.main_frame, x, y)
        if kind in fingerprint.FOCUS_ACTIONS:
            return probes.focused(self.page.main_frame)
        return None

    def _frames(self) -> list[Any]:
        """The page's frames, top first; embedded apps settle and are read like the page."""
        return [f for f in self.page.frames if not f.is_detached()]

    def in_every_frame(self, script: str) -> probes.Probe[None]:
        """Run a script in every frame; a frame that cannot take it (going away) has
        nothing to do."""
        for frame in self._frames():
            yield (lambda f=frame: f.evaluate(script))

    def _arming(self) -> probes.Probe[None]:
        """Install the settle script in every frame before an action (see ARM_JS)."""
        return self.in_every_frame(ARM_JS)

    def _settle_frames(self, deadline: float, opened: Any) -> probes.Probe[bool]:
        """Wait for each embedded frame's DOM and timers too, after the top page's (which
        reported `opened`); whether a window opened. A file input clicked anywhere makes
        the browser events wait for its chooser."""
        flags = opened if isinstance(opened, int) else 0
        for frame in self._frames()[1:]:
            cap = int((deadline - time.monotonic()) * 1000)
            if cap <= 0:
                break
            got = yield (lambda f=frame, c=cap: f.evaluate(
                SETTLE_JS, {"quiet": self.settle_config.quiet_ms, "cap": c}))
            flags |= got if isinstance(got, int) else 0  # a frame that went away: nothing
        self._chooser_coming = self._chooser_coming or bool(flags & OPENED_CHOOSER)
        return bool(flags & OPENED_WINDOW)

    def unseen_shot(self) -> Shot:
        """No picture, only the mapping a screenshot would have: for replays nobody views."""
        size = _viewport(self.page)
        if size is None:
            raise ActionError("the page has no fixed viewport; a screenshot is needed")
        return Shot(b"", Scale(*fit(*size, self.limit), *size), "")

    def _capture(self, zoom: dict | None = None,
                 scale: Scale | None = None) -> probes.Probe[Shot]:
        """The viewport as the model sees it (see `screenshots`); with a zoom action, that
        region of the page at full resolution (coordinates stay those of the whole screen).
        Written once as page calls, run by both executors."""
        page = self.page
        if zoom is not None and scale is not None:
            fmt = self.encoding.zoom()
            raw = yield (lambda: page.screenshot(**screenshots.playwright_params(fmt),
                                                 clip=zoom_clip(zoom, scale)))
            return zoom_shot(probes.reraise(raw), scale, fmt)
        fmt = self.encoding.next()
        session = None if self.masked else (yield from self._devtools(page))
        if session is not None:
            if not self.settled:  # settling finished them just now, in every frame
                yield from self.in_every_frame(screenshots.FINISH_ANIMATIONS_JS)
            self.settled = False
            reply = yield (lambda: session.send("Page.captureScreenshot",
                                                screenshots.cdp_params(fmt)))
            raw = base64.b64decode(probes.reraise(reply)["data"])
        else:
            args = screenshots.playwright_params(fmt)
            if self.masked:
                args.update(mask=probes.masks(page), mask_color="#222222")
            raw = probes.reraise((yield (lambda: page.screenshot(**args))))
        shot = encode_shot(raw, _viewport(page), self.limit, fmt)
        # CSS pixels on both paths (CDP only at device scale 1): the page's size is raw's.
        self.encoding.learn(fmt, len(raw), shot.scale.page_width * shot.scale.page_height)
        return shot

    def _devtools(self, page: Any) -> probes.Probe[Any]:
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


class PageComputer(ComputerState):
    """Runs actions on a sync Playwright page and follows new tabs and popups."""

    # -- allowed domains -------------------------------------------------------
    def allow_only(self, rules: tuple[str, ...]) -> None:
        """While a step runs, block requests to hosts the rules do not allow (`domains`).

        The test's own Playwright calls between steps are not restricted: the allowlist
        keeps the model from wandering, not the test author.
        """
        self.rules = rules
        self.page.context.route("**/*", self._route)
        self._routed = True

    def _route(self, route: Any) -> None:
        if self._blocks(route.request):
            route.abort("blockedbyclient")
        else:
            route.fallback()

    def _dialog_opened(self, dialog: Any) -> None:
        """Runs while the action that opened the dialog waits: the agent answers it."""
        info = self._dialog_info(dialog)
        answer = self.answer_dialog(info) if self.answer_dialog else dialogs.Answer(False)
        with contextlib.suppress(Exception):  # already answered by the test's own listener
            self._dialog_answered(dialog, info, answer)


    def _follow_new_page(self) -> None:
        open_pages = [p for p in self._pages if not p.is_closed()]
        if not open_pages:
            return
        newest = open_pages[-1]
        if newest is not self.page or self.page.is_closed():
            self.page = newest
            try:
                self.page.bring_to_front()
                self.page.wait_for_load_state("domcontentloaded",
                                              timeout=self.settle_config.cap_ms)
            except Exception:
                pass

    # -- screenshots -----------------------------------------------------------
    def screenshot(self, zoom: dict | None = None, scale: Scale | None = None) -> Shot:
        """The viewport as the model sees it (see `_capture`)."""
        return probes.run(self._capture(zoom, scale))

    # -- actions ---------------------------------------------------------------
    def execute(self, action: dict, scale: Scale, read_only: bool = False) -> None:
        """Perform one action; raises ActionError for an action the model must hear about."""
        ops = plan(action, scale, read_only)
        if self._pending_chooser is not None and probes.run(self._answer_chooser(action)):
            self.settle()
            return
        if ops:
            self._arm()
        for op in ops:
            target = self.page if op.target == "page" else getattr(self.page, op.target)
            try:
                getattr(target, op.method)(*op.args, **op.kwargs)
            except Exception as exc:
                if self.page.is_closed():
                    break
                raise ActionError(f"{action.get('type')} failed in the browser: {exc}") from exc
        if ops and action.get("type") not in ("wait", "screenshot"):
            self.settle()
            self.settled = True
        if probes.run(self._browser_events()):
            self.settle()

    # -- what actions touch (for cassettes and reports) -----------------------
    def target_of(self, action: dict, scale: Scale) -> dict | None:
        """The fingerprint of the element an action is about to touch, or None."""
        try:
            probe = self._target_probe(action, scale)
            return probes.run(probe) if probe else None
        except Exception:  # a bad action is the executor's to report, not the probe's
            return None

    def locate(self, fp: dict, focus: bool = False) -> dict:
        """Find a fingerprinted element now: {x, y} in CSS pixels, {focused}, or {error}."""
        return probes.run(probes.locate(self.page.main_frame, fp, focus))

    def mark_secret_field(self) -> None:
        """Mark the focused field as holding a secret, so screenshots mask it."""
        self.masked = True
        with contextlib.suppress(Exception):
            probes.run(probes.mark_secret(self.page.main_frame))

    def _arm(self) -> None:
        self._known_pages = len(self._pages)
        probes.run(self._arming())

    def settle(self) -> None:
        """Wait until navigation is done and the DOM and network are quiet, up to a cap."""
        deadline = time.monotonic() + self.settle_config.cap_ms / 1000
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return
            opener = self.page
            try:
                opener.wait_for_load_state("domcontentloaded", timeout=remaining_ms)
                opened = opener.evaluate(
                    SETTLE_JS, {"quiet": self.settle_config.quiet_ms, "cap": remaining_ms}
                )
                popup = probes.run(self._settle_frames(deadline, opened))
            except Exception:
                if opener.is_closed():
                    self._follow_new_page()
                    if self.page.is_closed():
                        return
                continue
            if popup and len(self._pages) <= self._known_pages:
                try:
                    self._watch(opener.context.wait_for_event("page", timeout=remaining_ms))
                except Exception:
                    self._known_pages = len(self._pages)
            if len(self._pages) > self._known_pages or self.page.is_closed():
                self._known_pages = len(self._pages)
                self._follow_new_page()
                continue
            if not self._inflight:
                return
            self.page.wait_for_timeout(10)


def _viewport(page: Any) -> tuple[int, int] | None:
    size = page.viewport_size
    if size:
        return size["width"], size["height"]
    return None
