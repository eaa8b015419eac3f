"""What a test's run leaves for the export: one JSON fragment per test.

A module's tests may run on several xdist workers (and its steps in several agents), so
each test writes what the export needs of it (its steps, their actions with locators, the
assertions chosen, where each step was made) into its own file as it ends; the process that
runs the session assembles the modules from the fragments once every worker is done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._run.store import write_atomic
from ..trail import Trail

FOLDER = ".cua-export"  # under the export folder; removed once the modules are written


@dataclass
class TestRun:
    """One test as the export sees it."""

    nodeid: str
    path: str  # the test file, relative to rootdir
    function: str  # the test function's name (without parametrize ids)
    cls: str | None
    passed: bool
    viewport: tuple[int, int] | None
    steps: list[dict[str, Any]]
    source: str  # python, yaml or gherkin
    spec: dict[str, Any] | None = None  # a YAML test: its name and url

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def steps_of(trail: Trail, viewport: tuple[int, int] | None) -> list[dict[str, Any]]:
    """The trail's steps with what the export writes code from; `scale` takes an action's
    screenshot pixels to the page's CSS pixels."""
    out = []
    for step in trail.steps:
        actions = []
        for turn in step.turns:
            width, height = turn.screenshot_size
            scale = [viewport[0] / width, viewport[1] / height] \
                if viewport and width and height else [1.0, 1.0]
            for record in turn.actions:
                if record.error or record.answers_dialog:
                    continue
                actions.append({"action": record.action, "target": record.target,
                                "files": record.files, "dialog": record.dialog,
                                "opened_page": record.opened_page,
                                "scale": scale})
        out.append({"kind": step.kind, "instruction": step.instruction,
                    "outcome": str(step.outcome), "answer": step.answer,
                    "site": list(step.site) if step.site else None,
                    "actions": actions, "exported": step.exported,
                    "origin": step.origin})
    return out


def write(folder: Path, run: TestRun) -> None:
    """The test's fragment, named by a digest of its node id (xdist-safe, one writer)."""
    name = hashlib.sha256(run.nodeid.encode()).hexdigest()[:20] + ".json"
    write_atomic(folder / FOLDER / name, json.dumps(run.to_dict(), default=str))


def read(folder: Path) -> list[TestRun]:
    """Every fragment the run wrote, in node id order."""
    runs = []
    for path in sorted((folder / FOLDER).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["viewport"] = tuple(data["viewport"]) if data.get("viewport") else None
        runs.append(TestRun(**data))
    return sorted(runs, key=lambda r: r.nodeid)
