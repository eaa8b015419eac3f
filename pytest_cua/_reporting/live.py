"""Reporters that follow a test while it runs: Allure steps, Playwright trace groups and
the verbose terminal line per turn. Each receives trail records from the agent."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._run.store import write_atomic
from ..trail import StepResult, TurnRecord
from . import html_trail

# Allure 3 opens an attachment of this type in Playwright's trace viewer.
PLAYWRIGHT_TRACE = "application/vnd.allure.playwright-trace"


class AllureSteps:
    """One `allure.step` per instruction, a nested step per action with its screenshot."""

    def __init__(self, allure: Any, image_format: str) -> None:
        self.allure = allure
        self.image_format = image_format
        self._open: Any = None
        self._turn: Any = None  # the last turn's step, open until the step's end is known

    def step_started(self, step: StepResult) -> None:
        self._open = self.allure.step(step.title)
        self._open.__enter__()

    def turn_finished(self, step: StepResult, turn: TurnRecord) -> None:
        allure = self.allure
        picture = html_trail.marked_svg(turn, self.image_format)
        titles = [html_trail.named(a) + (f" - failed: {a.error}" if a.error else "")
                  for a in turn.actions] or [html_trail.turn_summary(turn)]
        self._close_turn(None)
        for position, title in enumerate(titles):
            opened = allure.step(f"turn {turn.index + 1}: {title}")
            opened.__enter__()
            if picture and position == 0:  # the screenshot once, the actions over it
                allure.attach(picture, name="screenshot",
                              attachment_type=allure.attachment_type.SVG)
            if turn.reasoning and position == 0:
                allure.attach("\n".join(turn.reasoning), name="reasoning",
                              attachment_type=allure.attachment_type.TEXT)
            if position < len(titles) - 1:
                opened.__exit__(None, None, None)
            else:  # the step's last turn so far: it fails with the step, if the step fails
                self._turn = opened
        if turn.safety_checks:
            lines = [f"{c.get('code')} ({c.get('id')}): {c.get('message')}"
                     for c in turn.safety_checks]
            allure.attach("\n".join([*lines, turn.safety_decision or ""]), name="safety checks",
                          attachment_type=allure.attachment_type.TEXT)

    def _close_turn(self, error: BaseException | None) -> None:
        opened, self._turn = self._turn, None
        if opened is not None:
            opened.__exit__(*((type(error), error, error.__traceback__) if error is not None
                              else (None, None, None)))

    def step_finished(self, step: StepResult, error: BaseException | None) -> None:
        self._close_turn(error)
        if self._open is None:
            return
        model_turns = [t for t in step.turns if not t.replayed]
        self.allure.attach(
            f"{step.outcome}: {step.verdict}\n{len(model_turns)} model turns, "
            f"{step.input_tokens} input / {step.output_tokens} output tokens, "
            f"cost {html_trail.cost(step)}", name="verdict",
            attachment_type=self.allure.attachment_type.TEXT)
        if step.heal_reason:
            said = html_trail.heal_result(step)
            self.allure.attach(step.heal_reason, name=f"{said}: the cassette did not match",
                               attachment_type=self.allure.attachment_type.TEXT)
        for note in step.notes:
            self.allure.attach(note, name="replay",
                               attachment_type=self.allure.attachment_type.TEXT)
        opened, self._open = self._open, None
        if error is None:
            opened.__exit__(None, None, None)
            return
        opened.__exit__(type(error), error, error.__traceback__)
        # The failing picture at the test's level, shown without opening any step.
        picture = html_trail.marked_svg(step.turns[-1], self.image_format) if step.turns \
            else None
        if picture:
            self.allure.attach(picture, name=f"where step {step.index + 1} failed",
                               attachment_type=self.allure.attachment_type.SVG)


class TerminalLines:
    """With -v: one line per model turn while a step runs."""

    def __init__(self, write_line: Callable[[str], None]) -> None:
        self.write_line = write_line

    def step_started(self, step: StepResult) -> None:
        pass

    def turn_finished(self, step: StepResult, turn: TurnRecord) -> None:
        if turn.replayed and not turn.actions and not turn.reasoning:
            return  # a replayed check's turn: nothing was done, the step's line says enough
        source = " replayed" if step.replayed else ""
        self.write_line(
            f"    cua {step.kind} #{step.index + 1}{source} turn {turn.index + 1}: "
            f"{html_trail.turn_summary(turn)} ({turn.seconds:.2f}s)"
        )

    def step_finished(self, step: StepResult, error: BaseException | None) -> None:
        if step.heal_reason:
            said = html_trail.heal_result(step)
            self.write_line(f"    cua {step.kind} #{step.index + 1} {said}: "
                            + step.heal_reason.splitlines()[0])
        for note in step.notes:
            self.write_line(f"    cua {step.kind} #{step.index + 1}: {note}")


# Allure's categories (categories.json in the results): why tests failed, at a glance.
ALLURE_CATEGORIES = [
    {"name": "Infrastructure errors (model service, credentials, cassettes, budget)",
     "matchedStatuses": ["broken", "failed"],
     "messageRegex": r".*(CuaProviderError|CuaConfigError|CuaCassetteError|CuaBudgetExceeded)"
                     r"[\s\S]*"},
    {"name": "App changed since the cassette was recorded (replay mismatch)",
     "matchedStatuses": ["failed", "broken"],
     "messageRegex": r".*CuaReplayMismatch[\s\S]*"},
    {"name": "Product failures (a step could not be done, a check is false)",
     "matchedStatuses": ["failed"],
     "messageRegex": r".*(CuaStepFailed|CuaCheckFailed|CuaMaxStepsExceeded|"
                     r"CuaSafetyCheckFailed|CuaDomainBlocked)[\s\S]*"},
]


def write_allure_categories(folder: Path) -> None:
    """Put pytest-cua's categories in an Allure results folder, beside any of the user's
    (a categories.json already there is extended, not replaced)."""
    path = folder / "categories.json"
    try:
        existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    except ValueError:
        existing = []
    names = {c.get("name") for c in existing if isinstance(c, dict)}
    merged = [*existing, *(c for c in ALLURE_CATEGORIES if c["name"] not in names)]
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(merged, indent=1))


def load_allure() -> Any:
    """The allure module when allure-pytest is installed and imported, else None."""
    return sys.modules.get("allure") or _try_import("allure")


def _try_import(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None
