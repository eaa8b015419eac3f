"""What happened in a test's CUA steps: the single record every reporter reads.

Reporters never talk to the loop or the page; they read a `Trail`. A `StepResult` is both
what `cua_agent(...)` returns to the test and the step's entry in the trail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ._compat import StrEnum


class Outcome(StrEnum):
    """How a step ended, as reports show it."""

    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"  # the product: a check that is false, a step the model could not do
    ERROR = "error"  # the run: the provider, the configuration, an unexpected exception


class Source(StrEnum):
    """Where a step's outcome came from, as cassettes count it."""

    LIVE = "live"  # the model
    REPLAYED = "replayed"  # a cassette
    HEALED = "healed"  # a cassette, then the model where the page no longer matched
    MISMATCH = "mismatch"  # a cassette the page no longer matches, and no heal


@dataclass
class ActionRecord:
    action: dict
    description: str
    error: str | None = None
    target: dict | None = None  # fingerprint of the element touched (or focused), before
    events: list[str] = field(default_factory=list)  # what the browser did: chooser, download
    files: list[str] | None = None  # names of the offered files a file chooser got
    dialog: dict | None = None  # a native dialog the action opened, and its answer
    answers_dialog: bool = False  # the model answering a dialog: not run on the page
    opened_page: bool = False  # the action opened a tab or popup, which later ones act on


@dataclass
class TurnRecord:
    """One model turn: what the model saw, what it answered, what was executed."""

    index: int
    screenshot: bytes | None
    screenshot_size: tuple[int, int]
    url: str
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    response_id: str | None = None
    actions: list[ActionRecord] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    function_calls: list[dict] = field(default_factory=list)
    safety_checks: list[dict] = field(default_factory=list)
    safety_decision: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # of the input, read from the provider's prompt cache
    cost_usd: float | None = 0.0  # what the turn cost; None: used tokens at an unknown price
    replayed: bool = False  # run from a cassette: no model request was made for it
    error: str | None = None  # the model request failed: why (the provider's error)
    # Elements a replay found different on this page: [x, y, width, height] in screenshot
    # pixels, outlined in every report's picture.
    outlines: list[list[float]] = field(default_factory=list)
    announced: bool = field(default=False, repr=False, compare=False)
    rendered: dict = field(default_factory=dict, repr=False, compare=False)  # report images


@dataclass
class StepResult:
    """The outcome of one act / check / ask."""

    kind: str
    instruction: str
    index: int = 0
    passed: bool = False
    outcome: Outcome = Outcome.RUNNING
    reason: str = ""
    answer: str | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    source: Source = Source.LIVE
    heal_reason: str = ""
    ending: dict[str, Any] = field(default_factory=dict)  # how it ended, as a cassette keeps it
    # The page's evidence (replay.Reading) as the step started (act) and as it ended:
    # what a cassette keeps of the step's outcome, and what a replay compared.
    readings: tuple[Any, Any] | None = None
    recording: Any = None  # the cassette step a replay used, copied unchanged when rewritten
    notes: list[str] = field(default_factory=list)  # what the run noticed (a replay's learning)
    # Where the test made the step (file, line, column), and what an export asserts for
    # it (`--cua-export`: the lines chosen and the locators of their elements).
    site: tuple[str, int, int] | None = None
    exported: dict[str, Any] | None = None
    origin: dict[str, str] | None = None  # a Gherkin step's {type, text}: what it is written as

    @property
    def replayed(self) -> bool:
        return self.source == Source.REPLAYED

    @property
    def title(self) -> str:
        """How reports and traces name the step."""
        return f"cua {self.kind}{' (replayed)' if self.replayed else ''}: {self.instruction}"

    @property
    def evidence(self) -> list[str] | None:
        """What the page showed when the step ended (read when a cassette records or
        replays the step): the lines a replay compares."""
        after = self.readings[1] if self.readings else None
        return after.shown() if after is not None else None

    @property
    def verdict(self) -> str:
        """What the step concluded, as a reader wants it: the answer of an ask, else the
        reason."""
        if self.kind == "ask" and self.answer is not None:
            return self.answer
        return self.reason

    @property
    def actions(self) -> list[dict]:
        return [a.action for t in self.turns for a in t.actions]

    @property
    def screenshots(self) -> list[bytes]:
        return [t.screenshot for t in self.turns if t.screenshot]

    @property
    def input_tokens(self) -> int:
        return sum(t.input_tokens for t in self.turns)

    @property
    def output_tokens(self) -> int:
        return sum(t.output_tokens for t in self.turns)

    @property
    def cost_usd(self) -> float | None:
        """What the step's model turns cost; None when a turn's price is unknown."""
        return _total(t for t in self.turns if not t.replayed)

    def finish(self, outcome: Outcome, passed: bool, reason: str = "",
               answer: str | None = None) -> None:
        self.outcome, self.passed, self.reason, self.answer = outcome, passed, reason, answer
        self.seconds = time.monotonic() - self.started


@dataclass
class Trail:
    """All CUA steps of one test."""

    nodeid: str = ""
    model: str = ""
    variant: str = ""
    steps: list[StepResult] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def start_step(self, kind: str, instruction: str) -> StepResult:
        step = StepResult(kind=kind, instruction=instruction, index=len(self.steps))
        self.steps.append(step)
        return step

    @property
    def turns(self) -> int:
        """Every turn shown in the trail, replayed ones included."""
        return sum(len(s.turns) for s in self.steps)

    @property
    def model_turns(self) -> int:
        """Turns that were requests to the model: what a run pays for."""
        return sum(1 for s in self.steps for t in s.turns if not t.replayed)

    @property
    def replayed_turns(self) -> int:
        """Turns a cassette answered: no request, no cost."""
        return self.turns - self.model_turns

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.steps)

    @property
    def cached_tokens(self) -> int:
        """Input tokens the provider read from its prompt cache (Anthropic)."""
        return sum(t.cached_tokens for s in self.steps for t in s.turns)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.steps)

    @property
    def cost_usd(self) -> float | None:
        """What the test's model turns cost; None when a turn's price is unknown."""
        return _total(t for s in self.steps for t in s.turns if not t.replayed)


def _total(turns: Any) -> float | None:
    """The turns' summed cost: 0 for none, None when any turn's price is unknown."""
    costs = [t.cost_usd for t in turns]
    return None if any(c is None for c in costs) else sum(costs)
