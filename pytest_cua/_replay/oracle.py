"""The replay oracle: what a step changed or was judged on, compared and waited for.

A strict replay is what CI trusts, so it must be right both ways: it passes exactly when
the app still behaves as recorded. Every replayed step proves its outcome: an act step the
change it made on the page (what appeared and what went away, text, control states and how
things look), a check or an answer the evidence it was judged on. Comparisons wait like
Playwright's assertions (up to `replay_timeout`) so a slow backend is waited for, and what
the page changes by itself (clocks, tickers; seen by `js/watch.js`, or marked by the user)
is left out of them, so a live page is not a changed one.

The comparisons are pure; the page calls are written once as probes (`_core.drive`), so
the sync and the async agent replay through the same code. A `Replayer` holds the replay
of a step and of each action; each agent holds one and drives it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from .._browser import fingerprint, frames, locators
from .._core import dialogs, drive, safety
from .._core.actions import ActionError, Scale, describe
from .._core.events import Finish
from ..errors import CuaConfigError, CuaReplayMismatch, hidden_from_users
from ..settings import RecordMode
from ..trail import ActionRecord, Outcome, Source, StepResult, TurnRecord
from . import reasons
from .cassettes import RecordedStep, recording_of
from .likeness import Likeness

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

POLL_MS = 100  # how often a replay looks again while it waits for an element or outcome
SETTLE_CAP = 1.0  # seconds a reading waits for a look the page changes by script to settle
ADDRESS = "[address {}]"


@dataclass
class Reading:
    """The page's evidence at one moment: its lines (see `js/evidence.js`), the path of
    the element each came from, and the elements the page was seen changing by itself."""

    lines: list[str]
    paths: list[str]
    volatile: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> selector...

    def shown(self, volatile: Iterable[str] = ()) -> list[str]:
        """The lines, less those of volatile elements (their paths and what they hold)."""
        return self.shown_at(volatile)[0]

    def shown_at(self, volatile: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        """The lines shown (see `shown`) and the path of the element each came from."""
        cut = tuple(volatile) + tuple(self.volatile)
        if not cut:
            return list(self.lines), list(self.paths)
        kept = [(line, path) for line, path in zip(self.lines, self.paths, strict=True)
                if not under(path, cut)]
        return [line for line, _ in kept], [path for _, path in kept]


def under(path: str, volatile: Iterable[str]) -> bool:
    """Whether the element at `path` is one of `volatile` or inside one."""
    return any(path == v or path.startswith(v + "/") for v in volatile)


def read(computer: Any, marked: Sequence[str], base_url: str | None = None
         ) -> drive.Probe[Reading]:
    """The evidence of the executor's page now, frames included, with the address it is
    on. The page is read as its screenshots show it (finite animations at their end,
    endless ones at their start, in every document and shadow root: js/animations.js);
    a look the page is still changing by script (a highlight fading) is given up to
    SETTLE_CAP to settle, so a reading is where the page is going, not a frame of it."""
    page = computer.page
    deadline = time.monotonic() + SETTLE_CAP
    while True:
        seen = yield from frames.evidence(page.main_frame, marked)
        if not seen["settling"] or time.monotonic() >= deadline:
            break
        yield (lambda: page.wait_for_timeout(POLL_MS))
    if seen["bad"]:
        raise CuaConfigError(
            f"these volatile selectors are not CSS selectors the browser accepts: "
            f"{', '.join(map(repr, seen['bad']))} (from --cua-volatile, cua_volatile or "
            "@pytest.mark.cua(volatile=...)); fix or remove them")
    lines = [ADDRESS.format(address(page.url, base_url)), *seen["lines"]]
    return Reading(lines, ["address", *seen["paths"]],
                   {v["path"]: v for v in seen["volatile"]})


def address(url: Any, base_url: str | None = None) -> str:
    """The page's address without its origin (ports differ from run to run), with its
    query and fragment (a single-page app's route); under `--base-url`, relative to it (one
    cassette replays against a local server and a preview deploy under a path); a local
    file by its name (its folder differs from machine to machine)."""
    text = str(url)
    if base_url:
        base = base_url.rstrip("/")
        if text == base or text.startswith((base + "/", base + "?", base + "#")):
            rest = text[len(base):]
            return rest if rest.startswith("/") else "/" + rest
    parts = urlsplit(text)
    if parts.scheme == "file":
        return "file " + parts.path.rstrip("/").rsplit("/", 1)[-1]
    if parts.scheme not in ("http", "https"):
        return text
    query = _PORT.sub(r"\1\2", parts.query)  # an address in the query: its port too
    return (parts.path or "/") + (f"?{query}" if query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


_PORT = re.compile(r"(//|%2F%2F)([^/?#&%:]+)(?::|%3A)\d+", re.IGNORECASE)


def volatile_of(readings: Iterable[Reading | None]) -> dict[str, dict[str, Any]]:
    """Every element seen changing by itself in these readings, by path."""
    found: dict[str, dict[str, Any]] = {}
    for reading in readings:
        if reading is not None:
            found.update(reading.volatile)
    return found


def recorded_steps(steps: Sequence[StepResult], recorded: Sequence[dict] = (),
                   marked: Sequence[str] = (), likeness: Likeness | None = None
                   ) -> tuple[list[RecordedStep], list[dict]]:
    """The steps as a cassette keeps them, and the volatile content to record beside them:
    what an earlier recording kept (`recorded`, auto mode), what the user marked, what was
    seen changing by itself. The last is left out of every step's evidence and change, also
    of steps read before it was found out.
    """
    likeness = likeness or Likeness()
    seen = volatile_of(r for s in steps for r in (s.readings or ()))
    paths = list(seen)
    kept: list[RecordedStep] = []
    for step in steps:
        recording = step.recording if step.source == Source.REPLAYED else None
        if recording is None:
            recording = _recording_of(step, paths, likeness.for_step(step.instruction))
        kept.append(recording)
    entries = {v["selector"]: dict(v) for v in recorded}
    for selector in marked:
        entries[selector] = {"selector": selector, "marked": True}
    for found in seen.values():
        entry = entries.setdefault(found["selector"], {"selector": found["selector"]})
        entry["changes"] = max(found["changes"], entry.get("changes", 0))
    return kept, list(entries.values())


def _recording_of(step: StepResult, volatile: list[str], likeness: Likeness) -> RecordedStep:
    recording = recording_of(step)
    before, after = step.readings or (None, None)
    if after is not None:
        lines, paths = after.shown_at(volatile)
        if step.kind == "act":
            was, was_at = before.shown_at(volatile) if before else ([], [])
            gone, new, _ = likeness.unmatched(was, lines)
            recording.change = {"appeared": [lines[j] for j in new],
                                "disappeared": [was[i] for i in gone]}
            recording.change_paths = {"appeared": [paths[j] for j in new],
                                      "disappeared": [was_at[i] for i in gone]}
        else:
            recording.evidence, recording.evidence_paths = lines, paths
    return recording


def _without(lines: Sequence[str], paths: Sequence[str] | None,
             volatile: Iterable[str]) -> list[str]:
    """Recorded lines less those that came from elements now known to be volatile."""
    cut = tuple(volatile)
    if not paths or not cut:
        return list(lines)
    return [line for line, path in zip(lines, paths, strict=True) if not under(path, cut)]


class ReplayHost(Protocol):
    """What a replay needs from the agent that runs it: the step's bookkeeping (turns,
    their announcement to reports, what the browser did, secrets kept out of text) and
    the one way an action is performed (secrets revealed, allowed domains enforced)."""

    computer: Any

    def new_turn(self, step: StepResult, shot: Any) -> TurnRecord: ...

    def announce(self, step: StepResult) -> None: ...

    def browser_did(self, record: ActionRecord, events: list[str]) -> None: ...

    def redact(self, text: str) -> str: ...

    def performing(self, action: dict, scale: Scale, read_only: bool) -> drive.Probe[None]: ...


class Replayer:
    """The replay of recorded steps for one agent: reads the page, runs each recorded
    action on the element it touched, waits for the recorded outcome, and says what
    differs. Written once as probes, so the sync and the async agent replay alike; the
    agent holds one and drives it."""

    def __init__(self, host: ReplayHost, settings: Any, tape: Any, likeness: Likeness) -> None:
        self.host = host
        self.settings = settings
        self.tape = tape
        self.likeness = likeness  # how lines are compared: colours perceptually, dates by kind
        self.base_url: str | None = None  # --base-url: addresses are read relative to it
        # Replayed turns are screenshotted only for reports that show images: a replay
        # nobody looks at runs at the speed of plain Playwright.
        self.screenshots = True
        self.unseen: list[str] = []  # steps replayed since the model last heard from us
        self.replaying: dict | None = None  # the cassette entry of the action replayed now
        self._dialog_problem = ""  # a dialog the cassette did not expect
        self._differing: list[str] = []  # paths of what differs on the page a replay stopped on

    @property
    def computer(self) -> Any:
        return self.host.computer

    def take_unseen(self) -> list[str]:
        """The replayed steps to tell the model about, once."""
        unseen, self.unseen = self.unseen, []
        return unseen

    # -- what the page shows -------------------------------------------------------
    @property
    def _marked(self) -> list[str]:
        """Content left out of every comparison: the user's selectors and what the
        recording found changing by itself."""
        recorded = self.tape.volatile_selectors() if self.tape is not None else []
        return [*self.settings.volatile, *recorded]

    def _reading_now(self) -> drive.Probe[Reading]:
        """The page's evidence, secret values redacted."""
        reading = yield from read(self.computer, self._marked, self.base_url)
        reading.lines = [self.host.redact(line) for line in reading.lines]
        return reading

    def start_reading(self, step: StepResult) -> drive.Probe[None]:
        """Before an act step that a cassette records or replays: the page as it starts."""
        if (self.tape is not None or self.settings.export) and step.kind == "act":
            step.readings = ((yield from self._reading_now()), None)

    def finish_reading(self, step: StepResult) -> drive.Probe[None]:
        """When a live step ends with a verdict or an answer: what it was judged on (for a
        check or an answer always: `StepResult.evidence` shows it)."""
        if self.tape is not None or self.settings.export or step.kind != "act":
            before = step.readings[0] if step.readings else None
            step.readings = (before, (yield from self._reading_now()))

    # -- a recorded step ---------------------------------------------------------
    def replaying_step(self, step: StepResult, recorded: RecordedStep) -> drive.Probe[Any]:
        """Run a recorded step without the model; None hands it to the model (auto mode).

        Each action is checked against the fingerprint of the element it touched when
        recorded (a moved element is found again; a missing one is waited for); then the
        step's outcome is waited for: the change an act step made, the evidence a check or
        an answer was judged on.
        """
        __tracebackhide__ = True
        for recorded_turn in recorded.turns:
            shot = (yield from self.computer.capture()) if self.screenshots \
                else self.computer.unseen_shot()
            turn = self.host.new_turn(step, shot)
            turn.replayed = True
            checks = list(recorded_turn.get("safety_checks") or [])
            if checks:
                turn.safety_checks = checks
                refused = safety.decide(self.settings.safety_policy, checks).refused
                turn.safety_decision = (
                    f"{'refused' if refused else 'acknowledged'} by policy "
                    f"{self.settings.safety_policy!r} (replayed)")
                if refused:
                    self.host.announce(step)
                    return Finish("safety", refused_checks=refused)
            for entry in recorded_turn["actions"]:
                problem = yield from self._replaying_action(turn, entry, shot.scale,
                                                            step.kind != "act")
                if problem:
                    self.host.announce(step)
                    return self._mismatch(step, problem)
            self.host.announce(step)
        problem = yield from self._outcome(step, recorded)
        if problem:
            if self.tape.mode == RecordMode.REPLAY and self.screenshots:
                yield from self._stopped_here(step, problem)
            return self._mismatch(step, problem)
        step.recording = recorded
        self.unseen.append(f"{step.kind}: {step.instruction}")
        ending = recorded.finish
        return Finish(str(ending.get("outcome")), bool(ending.get("passed")),
                      str(ending.get("reason", "")), ending.get("answer"),
                      list(ending.get("refused_checks") or []))

    def _stopped_here(self, step: StepResult, problem: str) -> drive.Probe[None]:
        """The page as the replay found it after waiting for the outcome, for the reports:
        what was expected is in the reason, what was found is this picture."""
        shot = yield from self.computer.capture()
        turn = self.host.new_turn(step, shot)
        turn.replayed = True
        turn.reasoning = ["the page when the replay stopped: " + problem.splitlines()[0]]
        boxes = yield from frames.outlines(self.computer.page.main_frame, self._differing)
        for x, y, w, h in boxes:  # page pixels to the screenshot's
            (left, top), (right, bottom) = shot.scale.to_shot(x, y), shot.scale.to_shot(x + w,
                                                                                      y + h)
            turn.outlines.append([left, top, right - left, bottom - top])
        self.host.announce(step)

    def _outcome(self, step: StepResult, recorded: RecordedStep) -> drive.Probe[str]:
        """Wait until the page shows the recorded outcome; what differs when it never does.

        Nothing is waited for on the happy path: the first reading that matches ends it.
        Readings repeat every POLL_MS until `replay_timeout`; what the page is seen changing
        by itself meanwhile is left out, a late effect of the step is waited for.
        """
        expected = recorded.change if step.kind == "act" else recorded.evidence
        if expected is None:
            what = "what the step changed" if step.kind == "act" else "page evidence"
            return (f"the cassette has no {what} for this {step.kind}, so it cannot be "
                    "re-verified")
        likeness = self.likeness.for_step(step.instruction)
        before = step.readings[0] if step.readings else None
        deadline = time.monotonic() + self.settings.replay_timeout
        while True:
            now = yield from self._reading_now()
            # What this replay saw changing by itself: out of the page and the recording.
            learned = volatile_of((before, now))
            shown = now.shown(learned)
            if isinstance(expected, dict):  # an act step: what it changed
                paths = recorded.change_paths or {}
                wanted = {key: _without(expected.get(key) or [], paths.get(key), learned)
                          for key in ("appeared", "disappeared")}
                got = likeness.change(before.shown(learned) if before else [], shown)
                differences = reasons.change_reason(wanted, got, shown, likeness)
            else:
                judged = _without(expected, recorded.evidence_paths, learned)
                differences = reasons.evidence_reason(judged, shown, likeness)
            if not differences:
                step.readings = (before, now)
                step.notes += [
                    f"seen changing by itself during the replay, left out of the comparison: "
                    f"{v['selector']} ({v['changes']} changes)" for v in learned.values()]
                return ""
            if time.monotonic() >= deadline:
                break
            yield (lambda: self.computer.page.wait_for_timeout(POLL_MS))
        self._differing = _differing(now, learned, likeness, *(
            (wanted, got) if isinstance(expected, dict) else (judged, None)))
        waited = f"waited {self.settings.replay_timeout:g} s"
        if isinstance(expected, dict):
            did = ("changed nothing" if not (got["appeared"] or got["disappeared"])
                   else "did not make the change it made when recorded")
            return reasons.joined(f"{reasons.doing(_last_action(step))} {did} ({waited})",
                                  differences, step.instruction)
        return reasons.joined(f"the page differs from the one the {step.kind} was recorded "
                              f"on ({waited})", differences, step.instruction)

    def _replaying_action(self, turn: TurnRecord, entry: dict, scale: Scale,
                          read_only: bool) -> drive.Probe[str]:
        """Run one recorded action, re-aimed if its element moved; a mismatch says why."""
        action, expected = dict(entry["action"]), entry.get("target")
        kind = action.get("type")
        record = ActionRecord(action, describe(action), target=expected)
        turn.actions.append(record)
        problem = ""
        if expected and kind in (*fingerprint.POINT_ACTIONS, *fingerprint.FOCUS_ACTIONS):
            aimed = yield from self._aim(action, expected, scale)
            if isinstance(aimed, str):
                problem = aimed
            elif aimed is not action:
                record.action = action = aimed
                record.description = describe(action) + " (element moved)"
        if not problem and self.computer.locators and record.target:
            now = yield from self.computer.targeting(action, scale)  # named as Playwright would
            record.target = {**record.target, **{k: v for k, v in (now or {}).items()
                                                 if k in locators.KEYS}}
        if not problem:
            self.replaying, self._dialog_problem = entry, ""
            try:
                yield from self.host.performing(action, scale, read_only)
            except ActionError as exc:
                problem = f"{reasons.doing(record)} failed: {exc}"
            finally:
                self.replaying = None
                self.host.browser_did(record, [])
            problem = problem or self._replayed_dialog_problem(action, entry, record)
        if not problem and (entry.get("files") or None) != record.files:
            offered = self.computer.files.listing() or "none"
            problem = (f"{reasons.doing(record)}: when recorded, the file chooser got "
                       f"{_names(entry.get('files'))}, now {_names(record.files)} "
                       f"(files offered now: {offered})")
        record.error = problem or None
        return problem

    def _aim(self, action: dict, expected: dict, scale: Scale) -> drive.Probe[dict | str]:
        """The action to run on the recorded element: as recorded, re-aimed where it moved
        (or focused, for keys), or why not. An element not there yet is waited for, as
        Playwright's actions wait, up to `replay_timeout`."""
        focus = action.get("type") in fingerprint.FOCUS_ACTIONS
        deadline = time.monotonic() + self.settings.replay_timeout
        while True:
            now = yield from self.computer.targeting(action, scale)
            if not fingerprint.differences(expected, now):
                return action
            found = yield from frames.locate(self.computer.page.main_frame, expected, focus)
            if focus and found.get("focused"):
                return action
            if "x" in found:
                return _moved(action, scale.to_shot(found["x"], found["y"]))
            if time.monotonic() >= deadline:
                break
            yield (lambda: self.computer.page.wait_for_timeout(POLL_MS))
        where = "keys would go to" if focus else "at its place is"
        wanted = fingerprint.label(expected)
        gone = (f"it is covered by {fingerprint.label(found.get('by'))}"
                if found.get("error") == "covered" else f"there is no {wanted} on the page")
        there = fingerprint.label(now)
        if there == wanted:  # the same name: what else differs (its frame, its role)
            there += f" ({'; '.join(fingerprint.differences(expected, now))})"
        return (f"{reasons.doing(ActionRecord(action, describe(action), target=expected))} "
                f"failed: {gone} (waited {self.settings.replay_timeout:g} s); {where} {there}")

    def _replayed_dialog_problem(self, action: dict, entry: dict, record: ActionRecord) -> str:
        if self._dialog_problem:
            return f"{reasons.doing(record)}: {self._dialog_problem}"
        recorded = entry.get("dialog")
        if recorded and not record.dialog:
            return (f"{reasons.doing(record)}: when recorded, it opened a {recorded.get('type')} "
                    f"dialog {recorded.get('message')!r}; now none opened")
        return ""

    def replayed_dialog(self, info: dialogs.DialogInfo) -> dialogs.Answer:
        """The answer the cassette recorded for this action's dialog."""
        recorded = (self.replaying or {}).get("dialog")
        if not recorded:
            self._dialog_problem = (f"a {info.kind} dialog {info.message!r} opened, which the "
                                    "recording did not have")
            return dialogs.Answer(False)
        if (recorded.get("type"), recorded.get("message")) != (info.kind, info.message):
            self._dialog_problem = (f"the {info.kind} dialog says {info.message!r}; when "
                                    f"recorded, a {recorded.get('type')} dialog said "
                                    f"{recorded.get('message')!r}")
            return dialogs.Answer(False)
        return dialogs.Answer.from_dict(recorded)

    def _mismatch(self, step: StepResult, problem: str) -> None:
        """A strict replay fails the step; `auto` hands it to the model where the replay
        stopped (see `heal_note`): nothing the replay did is done twice."""
        __tracebackhide__ = True
        if self.tape is not None and self.tape.mode == RecordMode.AUTO:
            step.source, step.heal_reason = Source.HEALED, problem
            return None
        step.source = Source.MISMATCH
        step.finish(Outcome.FAILED, False, f"replay mismatch: {problem}")
        raise CuaReplayMismatch(step.index + 1, step.instruction, problem, step)


def heal_note(step: StepResult) -> str:
    """What the model is told when it takes over a step the replay could not finish: the
    actions the replay already performed on the page it now sees (as the trail words them),
    so it judges the step from there instead of doing it again."""
    done = [a.description for t in step.turns for a in t.actions
            if not a.error and not a.answers_dialog]
    if not done:
        return ""
    listed = "; ".join(f"{n}. {d}" for n, d in enumerate(done, 1))
    return (f"\n(Part of this step was already carried out on the page you see now, by a "
            f"replay of an earlier run: {listed}. Do not repeat these actions. If the step is "
            "now complete, report it as done; otherwise continue only with what is missing.)")


def _moved(action: dict, point: tuple[int, int]) -> dict:
    """The action re-aimed so its first point lands on `point`; a drag keeps its shape."""
    if action.get("type") != "drag":
        return {**action, "x": point[0], "y": point[1]}
    path = action["path"]
    dx, dy = point[0] - path[0]["x"], point[1] - path[0]["y"]
    return {**action, "path": [{"x": p["x"] + dx, "y": p["y"] + dy} for p in path]}


def _differing(now: Reading, learned: Iterable[str], likeness: Likeness,
               expected: dict[str, list[str]] | list[str],
               got: dict[str, list[str]] | None) -> list[str]:
    """The paths of the lines on the page now that make a mismatch: what should have gone
    and is still there, what appeared unlike the recording (`got`: the change the replay
    saw), what a check sees otherwise."""
    lines, paths = now.shown_at(learned)
    if isinstance(expected, dict):
        seen = got or {"appeared": [], "disappeared": []}
        still, _ = likeness.missing(expected["disappeared"], seen["disappeared"])
        _, new = likeness.missing(expected["appeared"], seen["appeared"])
        wrong = [*still, *new]
    else:
        _, wrong = likeness.missing(expected, lines)
    found = set(wrong)
    return [path for line, path in zip(lines, paths, strict=True)
            if line in found and path != "address"]


def _last_action(step: StepResult) -> ActionRecord | None:
    """The last action a step performed: what a reader thinks of as what was done."""
    done = [a for t in step.turns for a in t.actions if not a.error]
    return done[-1] if done else None


def _names(files: list[str] | None) -> str:
    return ", ".join(files or []) or "no file"
