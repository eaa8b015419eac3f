"""Cassettes: what the model did in each step of a test, so reruns need no model.

One YAML file per test (node id, parametrize ids included), under the cache directory in a
folder per test file: readable in review, no merge conflicts between tests, and no two
xdist workers ever write the same file. A cassette stores per step the model's actions,
the fingerprint of each element they touched, the page evidence a check or answer was
judged on, and how the step ended; screenshots are stored as hashes only.

This module holds the data and the files; the `Replayer` (`oracle`) replays them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._compat import StrEnum
from .._run.store import write_atomic
from ..errors import CuaCassetteError
from ..settings import RecordMode
from ..trail import Source, StepResult

# 2: act steps keep what they changed; the test keeps what changed by itself. 3: the page
# is read as assistive technology and screenshots see it (ARIA states, settled looks, long
# values by digest) and each line keeps where it came from.
VERSION = 3
# Where a step's outcome came from, as the run's totals count it.
SOURCES = (Source.REPLAYED, Source.HEALED, Source.LIVE)
HEADER = ("# pytest-cua cassette: the model's actions for one test, replayed by --cua-cache.\n"
          "# Safe to commit (no screenshots, no keys). Re-record with --cua-cache=record.\n"
          "# change: what an act step changed on the page, which a replay must change again;\n"
          "# evidence: what a check or answer was judged on, which a replay must show again;\n"
          "# *_paths: the element each line came from, so what a replay sees changing by\n"
          "# itself is left out of the recording too;\n"
          "# volatile: content left out of both: seen changing by itself while recording\n"
          "# (changes: how often; a clock, a ticker) or marked by the user (marked: true).\n")


@dataclass
class Meta:
    """What a recording is only valid for: replaying it under anything else is meaningless."""

    model: str
    tool: str
    viewport: tuple[int, int] | None

    def differences(self, other: Meta) -> list[str]:
        return [f"{name} {getattr(self, name)!r} (recorded) vs {getattr(other, name)!r} (now)"
                for name in ("model", "tool", "viewport")
                if getattr(self, name) != getattr(other, name)]


@dataclass
class RecordedStep:
    kind: str
    instruction: str
    finish: dict[str, Any]
    turns: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[str] | None = None  # check / ask: the lines it was judged on
    change: dict[str, list[str]] | None = None  # act: {appeared: [...], disappeared: [...]}
    # Where each line came from (the element's path), so content a later replay sees
    # changing by itself is left out of the recording too; absent in older cassettes.
    evidence_paths: list[str] | None = None
    change_paths: dict[str, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "instruction": self.instruction,
                                "finish": self.finish, "turns": self.turns}
        if self.change is not None:
            data["change"] = self.change
            if self.change_paths is not None:
                data["change_paths"] = self.change_paths
        if self.evidence is not None:
            data["evidence"] = self.evidence
            if self.evidence_paths is not None:
                data["evidence_paths"] = self.evidence_paths
        return data


@dataclass
class Cassette:
    test: str
    meta: Meta
    steps: list[RecordedStep] = field(default_factory=list)
    volatile: list[dict[str, Any]] = field(default_factory=list)  # {selector, changes|marked}

    def to_dict(self) -> dict[str, Any]:
        viewport = list(self.meta.viewport) if self.meta.viewport else None
        data: dict[str, Any] = {"version": VERSION, "test": self.test,
                                "model": self.meta.model, "tool": self.meta.tool,
                                "viewport": viewport}
        if self.volatile:
            data["volatile"] = self.volatile
        return {**data, "steps": [s.to_dict() for s in self.steps]}


def screen_hash(png: bytes | None) -> str | None:
    return hashlib.sha256(png).hexdigest()[:16] if png else None


def recording_of(step: StepResult) -> RecordedStep:
    """A live step's actions and ending as a cassette keeps them (`oracle` adds what it
    changed or was judged on)."""
    turns = []
    for turn in step.turns:
        actions = [{"action": a.action, **({"target": a.target} if a.target else {}),
                    **({"files": a.files} if a.files else {}),
                    **({"dialog": a.dialog} if a.dialog else {})}
                   for a in turn.actions if not a.error and not a.answers_dialog]
        if not actions and not turn.safety_checks:
            continue
        entry: dict[str, Any] = {"screen": screen_hash(turn.screenshot), "actions": actions}
        if turn.safety_checks:
            entry["safety_checks"] = turn.safety_checks
        turns.append(entry)
    return RecordedStep(step.kind, step.instruction, dict(step.ending), turns)


def cassette_path(cache_dir: Path, nodeid: str) -> Path:
    """`<cache_dir>/<test file without suffix>/<test name>.yaml`, file-system safe."""
    file_part, _, name = nodeid.partition("::")
    folder = re.sub(r"(\.cua\.ya?ml|\.py)$", "", file_part)
    folder_parts = [re.sub(r"[^\w.-]", "_", p) for p in folder.split("/") if p not in ("", "..")]
    safe = re.sub(r"[^\w .\[\]-]", "_", name.replace("::", ".")).strip() or "test"
    if len(safe) > 100 or safe != name.replace("::", "."):
        safe = safe[:90] + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return cache_dir.joinpath(*folder_parts, safe + ".yaml")


def _fail(path: Path, what: str) -> CuaCassetteError:
    return CuaCassetteError(
        f"cassette {path} is not usable: {what}; fix or delete the file, or re-record it "
        "with --cua-cache=record")


def _need(data: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise _fail(path, f"{where} has no {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise _fail(path, f"{where}.{key} should be {getattr(kind, '__name__', kind)}, "
                          f"got {type(value).__name__}")
    return value


def parse(data: Any, path: Path) -> Cassette:
    """A cassette from loaded YAML, checked field by field so errors name the field."""
    if not isinstance(data, dict):
        raise _fail(path, "the file is not a mapping of cassette fields")
    version = data.get("version")
    if version == 1:
        raise _fail(path, "it was recorded by an older pytest-cua (version 1), which did not "
                          "keep what act steps changed, so a replay could not prove them")
    if version == 2:
        raise _fail(path, "it was recorded by an older pytest-cua (version 2), which read the "
                          "page without ARIA states and settled animations, so this replay "
                          "would compare it with lines it never read")
    if version != VERSION:
        raise _fail(path, f"version {version!r} is not {VERSION}")
    viewport = data.get("viewport")
    if viewport is not None and not (isinstance(viewport, list) and len(viewport) == 2):
        raise _fail(path, "viewport should be [width, height]")
    meta = Meta(str(_need(data, "model", str, path, "cassette")),
                str(_need(data, "tool", str, path, "cassette")),
                tuple(viewport) if viewport else None)
    steps = []
    for number, raw in enumerate(_need(data, "steps", list, path, "cassette"), 1):
        where = f"steps[{number}]"
        turns = _need(raw, "turns", list, path, where)
        for t_number, turn in enumerate(turns, 1):
            for a_number, action in enumerate(_need(turn, "actions", list, path,
                                                    f"{where}.turns[{t_number}]"), 1):
                _need(action, "action", dict, path, f"{where}.turns[{t_number}].actions"
                                                    f"[{a_number}]")
        finish = _need(raw, "finish", dict, path, where)
        _need(finish, "outcome", str, path, where + ".finish")
        evidence = raw.get("evidence")
        if evidence is not None and not _lines(evidence):
            raise _fail(path, f"{where}.evidence should be a list of lines")
        change = raw.get("change")
        if change is not None and not (isinstance(change, dict) and all(
                _lines(change.get(key, [])) for key in ("appeared", "disappeared"))):
            raise _fail(path, f"{where}.change should map appeared and disappeared to lists "
                              "of lines")
        change = {key: list(change.get(key) or [])
                  for key in ("appeared", "disappeared")} if change else None
        evidence_paths = raw.get("evidence_paths")
        if evidence_paths is not None and not (
                _lines(evidence_paths) and len(evidence_paths) == len(evidence or [])):
            raise _fail(path, f"{where}.evidence_paths should list one path per evidence line")
        change_paths = raw.get("change_paths")
        if change_paths is not None and not (change and isinstance(change_paths, dict) and all(
                _lines(change_paths.get(key, [])) and len(change_paths.get(key, []))
                == len(change[key]) for key in ("appeared", "disappeared"))):
            raise _fail(path, f"{where}.change_paths should list one path per line of "
                              "appeared and disappeared")
        steps.append(RecordedStep(str(_need(raw, "kind", str, path, where)),
                                  str(_need(raw, "instruction", str, path, where)),
                                  finish, turns, evidence, change, evidence_paths,
                                  change_paths))
    volatile = data.get("volatile") or []
    if not (isinstance(volatile, list) and all(
            isinstance(v, dict) and isinstance(v.get("selector"), str) for v in volatile)):
        raise _fail(path, "volatile should be a list of {selector: ...} entries")
    return Cassette(str(_need(data, "test", str, path, "cassette")), meta, steps, volatile)


def _lines(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(line, str) for line in value)


def load(path: Path) -> Cassette | None:
    """The cassette at `path`, None when there is none; CuaCassetteError when broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _fail(path, f"cannot read it ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _fail(path, f"invalid YAML ({exc})".replace("\n", " ")) from None
    return parse(data, path)


class _Dumper(yaml.SafeDumper):
    """Block style for structure, flow style for short scalar lists and maps: reviewable."""


def _flow_if_flat(dumper: yaml.SafeDumper, data: Any) -> Any:
    values = data.values() if isinstance(data, dict) else data
    flat = all(isinstance(v, str | int | float | bool) or v is None for v in values) and (
        len(str(data)) < 80)
    if isinstance(data, dict):
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(dict, _flow_if_flat)
_Dumper.add_representer(list, _flow_if_flat)
_Dumper.add_multi_representer(StrEnum, lambda dumper, member: dumper.represent_str(member.value))


def save(path: Path, cassette: Cassette) -> None:
    """Write atomically: a reader (or a crashed writer) never sees half a cassette."""
    write_atomic(path, HEADER + yaml.dump(cassette.to_dict(), Dumper=_Dumper, sort_keys=False,
                                          allow_unicode=True, width=100))


@dataclass
class Tape:
    """A test's cassette in use: what may be replayed, and what this run recorded.

    `mode` is the cache setting. The agent asks `step()` for a recording to replay and
    reports each step's source; the plugin asks `to_write()` at the end of the test.
    """

    mode: RecordMode
    path: Path
    nodeid: str
    meta: Meta
    recorded: Cassette | None = None
    unusable: str = ""  # why the recorded cassette cannot be replayed under these settings
    sources: list[str] = field(default_factory=list)  # per step: replayed, live, healed

    @classmethod
    def open(cls, mode: RecordMode, path: Path, nodeid: str, meta: Meta) -> Tape:
        tape = cls(mode, path, nodeid, meta)
        if not mode.reads:
            return tape
        recorded = load(path)
        if recorded is None:
            tape.unusable = f"no cassette at {path}"
        elif recorded.test != nodeid:
            tape.unusable = f"{path} was recorded for {recorded.test!r}, not {nodeid!r}"
        elif recorded.meta.differences(meta):
            tape.unusable = (f"{path} was recorded under other settings: "
                             + "; ".join(recorded.meta.differences(meta)))
        else:
            tape.recorded = recorded
        if mode == RecordMode.REPLAY and tape.unusable:
            raise CuaCassetteError(
                f"--cua-cache=replay cannot run {nodeid}: {tape.unusable}; record it with "
                "--cua-cache=record (or --cua-cache=auto) where the model is reachable")
        return tape

    def step(self, index: int, kind: str, instruction: str) -> RecordedStep | None:
        """The recording of step `index` when it is the same step; None when there is none."""
        steps = self.recorded.steps if self.recorded else []
        found = steps[index] if index < len(steps) else None
        if found and found.kind == kind and found.instruction == instruction:
            return found
        if self.mode == RecordMode.REPLAY:
            recorded = (f"the cassette has step {index + 1} as {found.kind}: {found.instruction!r}"
                        if found else f"the cassette has only {len(steps)} steps")
            raise CuaCassetteError(
                f"--cua-cache=replay: step {index + 1} {kind}: {instruction!r} is not in "
                f"{self.path} ({recorded}); the test changed, re-record it with "
                "--cua-cache=record")
        return None

    def volatile_selectors(self) -> list[str]:
        """What the recording saw changing by itself: left out of this replay's comparisons."""
        return [v["selector"] for v in self.recorded.volatile] if self.recorded else []

    def to_write(self, steps: list[RecordedStep], test_passed: bool,
                 volatile: list[dict[str, Any]] | None = None) -> Cassette | None:
        """The cassette to save after the test, or None to leave the file as it is.

        Only a passing run is written, so a failed run never overwrites a good cassette;
        `auto` writes only when some step went to the model.
        """
        if not self.mode.writes or not test_passed or not steps:
            return None
        if self.mode == RecordMode.AUTO and all(s == Source.REPLAYED for s in self.sources):
            return None
        return Cassette(self.nodeid, self.meta, steps, list(volatile or []))
