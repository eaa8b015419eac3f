"""What the browser does besides the page changing, watched while steps run: the open
pages (new tabs and popups), requests in flight, file choosers, downloads, native dialogs,
and the requests the allowed domains block. Plain bookkeeping on Playwright's events; the
executor (`executor`) decides what to wait for and what to tell the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .._core import dialogs, domains, drive, uploads

CHOOSER_WAIT_MS = 2000  # how long the browser may take to report a chooser or download


@dataclass
class BrowserEvents:
    """What an action started besides changing the page."""

    notes: list[str]  # for the model and the trail
    files: list[str] | None  # offered files a file chooser got
    dialog: dict | None  # a native dialog and how it was answered


class PageWatch:
    """The pages of one agent's browser context and what happened on them."""

    def __init__(self, page: Any) -> None:
        self._inflight: set[Any] = set()
        self._pages: list[Any] = []
        self._known_pages = 0  # pages open before the running action: more means it opened one
        self.page = page
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

    def _dialog_opened(self, dialog: Any) -> Any:  # pragma: no cover - the executor's
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

    def _answer_chooser(self, action: dict) -> drive.Probe[bool]:
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

    def _browser_events(self) -> drive.Probe[bool]:
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
                done = yield partial(chooser.set_files, choice.files)
                if not isinstance(done, Exception):
                    self._chose(choice)
                    changed = True
        if self._download_coming and not self._downloads:
            yield (lambda: self.page.wait_for_event("download", timeout=CHOOSER_WAIT_MS))
        self._download_coming = False
        while self._downloads:
            download = self._downloads.pop(0)
            name, path = download.suggested_filename, None
            failure = yield download.failure
            if not failure:
                path = self._download_target(name)
                if path is not None:
                    saved = yield partial(download.save_as, path)
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
