"""Model requests paced to the provider's quota and retried, the same for every vendor.

A provider's quota (requests and tokens per minute) belongs to the account or deployment,
not to one xdist worker, so its state is shared by every worker of the run (`store`):

- a 429 that carries `retry-after` holds every worker back until then, not only the one
  that got it, and the rate of admitted requests just before it becomes the pace of the
  rest of the run (each later refusal can only lower it);
- a declared quota (`--cua-requests-per-minute`, `--cua-tokens-per-minute`) paces every
  request start from the first one, so nothing is refused;
- a 429 is retried until `--cua-timeout` has passed for the request, a transient fault
  (5xx, overloaded, cut connection) MAX_RETRIES times, a spent quota never.

Request starts are spaced evenly (the generic cell rate algorithm: each start reserves the
next free slot), MARGIN wider than the quota. A start planned on time can still leave late
(on a busy machine, building the request or waking from the wait took up to half a second),
so starts are paced again as their bytes leave (`Quota.sending`, asked by the socket hook of
every client we build): a late one pushes the next one back instead of crowding it, and the
margin only has to cover the jitter after that (the network, the service's clock). A
learned pace is an estimate from below (a request that left late was counted by the
service in a later second than its slot), so it is raised by PROBE every PROBE_AFTER
seconds without a refusal: the next refusal lowers it again, and doubles the time before
the next probe (up to PROBE_MAX), so a pace found stays found. Tokens are charged when a
reply says how many were used; the next start waits until the tokens spent so far fit the
per-minute rate.

`requesting` is the retry policy as a generator of calls (sleeps and the request), driven
by `drive.run` or `drive.arun`: one policy for the sync and the async agent.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .._core import drive
from ..errors import CuaProviderError, FaultKind, hidden_from_users
from . import store
from .pacing import MAX_RETRIES, SENDING

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

MARGIN = 1.1  # request starts spaced 10% wider than the quota allows
WINDOWS = (1.0, 2.0, 5.0)  # seconds of admitted starts a refusal learns the rate from
KEEP = 60.0  # seconds of request starts kept to learn a rate from
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 8.0  # transient faults, as the vendors' SDKs wait
HOLD_WITHOUT_HEADER = 1.0  # a 429 that did not say how long to wait
PROBE, PROBE_AFTER = 1.1, 2.0  # a learned pace grows 10% after 2 s with no refusal ...
PROBE_MAX = 32.0  # ... and each refusal it runs into doubles that wait, up to this


@dataclass(frozen=True)
class Ticket:
    """A reserved request start: wait `wait` seconds, then send (if nothing changed)."""

    slot: float
    wait: float
    generation: int
    tokens: int = 0  # reserved for it before it left (an estimate), reconciled by `used`


class Quota:
    """The pace of one provider configuration (endpoint and model), shared by the run.

    `path` is the shared state file; None keeps the state in this process (a test's own
    quota, or a run without xdist that has no folder)."""

    def __init__(self, path: Path | None = None, *, requests_per_minute: float = 0.0,
                 tokens_per_minute: float = 0.0, clock: Callable[[], float] | None = None,
                 shared: Any = None) -> None:
        self.path = path
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        # `shared`: another store with the same `open` and `now` (Redis, across machines),
        # whose clock is then the quota's: the time of the store, not of each runner.
        self._store = shared if shared is not None else store.Store(path)
        self.clock = clock or self._store.now

    def state(self) -> dict[str, Any]:
        """A copy of the shared state, for reports and tests."""
        with self._store.open() as state:
            return dict(state)

    # ------------------------------------------------------------------ pacing
    def _interval(self, state: dict[str, Any]) -> float:
        """Seconds between request starts: the declared rate or the learned one, the slower."""
        rates = [r for r in (self.requests_per_minute / 60, state.get("learned", 0.0)) if r]
        return MARGIN / min(rates) if rates else 0.0

    def _token_seconds(self, state: dict[str, Any], tokens: float) -> float:
        """How long `tokens` keep the per-minute token rate busy (0 without one)."""
        per_minute = min((r for r in (self.tokens_per_minute, state.get("tokens_limit", 0.0))
                          if r), default=0.0)
        return tokens * 60 * MARGIN / per_minute if per_minute else 0.0

    def reserve(self, tokens: int = 0) -> Ticket:
        """Take the next free request start (now, or after a hold and the pace), and
        reserve the `tokens` it is expected to use, so that concurrent starts (on every
        worker and runner) do not all spend the same tokens."""
        with self._store.open() as state:
            now = self.clock()
            if state.get("learned") and now - state.get("probed", now) >= state.get(
                    "probe_every", PROBE_AFTER):
                state["learned"] *= PROBE  # no refusal for a while: try a little faster
                state["probed"] = now
            slot = max(now, state.get("hold", 0.0), state.get("tokens_free", 0.0))
            interval = self._interval(state)
            if interval:
                slot = max(slot, state.get("next", 0.0))
                state["next"] = slot + interval
            starts = [t for t in state.get("starts", []) if t > now - KEEP]
            state["starts"] = [*starts, slot]
            state.setdefault("first", slot)
            busy = self._token_seconds(state, tokens)
            if busy:
                state["tokens_free"] = max(state.get("tokens_free", 0.0), slot) + busy
            return Ticket(slot, slot - now, int(state.get("generation", 0)),
                          tokens if busy else 0)

    def sending(self, woke: bool = False) -> float:
        """Seconds the request whose bytes are about to go must still wait (the socket hook
        of `_run.pacing` asks, and asks again with `woke` after each wait, until 0).

        Starts are spaced as they leave, not only as planned: one that left late (its JSON
        built slowly, or its thread woke late from the wait) pushes the next one back
        instead of crowding it. The first ask plans a departure after the last one planned;
        after the wait, the request leaves unless one before it left late."""
        with self._store.open() as state:
            now = self.clock()
            interval = self._interval(state)
            due = max(now, state.get("hold", 0.0))
            if interval:
                due = max(due, state.get("left", 0.0) + interval)
                if not woke:
                    due = max(due, state.get("sent", 0.0) + interval)
                    state["sent"] = due
            if due > now:
                return due - now
            state["left"] = max(state.get("left", 0.0), now)
            return 0.0

    def departed(self) -> None:
        """The request's headers are on the socket (httpcore's trace, after `sending`): the
        departure the next start is spaced from, if later than when `sending` let it go."""
        with self._store.open() as state:
            state["left"] = max(state.get("left", 0.0), self.clock())

    def still_valid(self, ticket: Ticket) -> bool:
        """Whether a reserved start still holds after its wait: a 429 seen meanwhile by
        another worker moved the hold past it, so it is given back and taken again."""
        with self._store.open() as state:
            if int(state.get("generation", 0)) == ticket.generation or \
                    state.get("hold", 0.0) <= ticket.slot:
                return True
            _forget(state, ticket.slot)
            return False

    def refused(self, ticket: Ticket, error: CuaProviderError) -> None:
        """A 429 for a rate: hold every worker until its retry-after, and learn the rate
        the service admits (from its headers, else from the starts it admitted)."""
        with self._store.open() as state:
            now = self.clock()
            _forget(state, ticket.slot)
            if ticket.tokens:  # not admitted: its tokens were not spent
                state["tokens_free"] = state.get("tokens_free", 0.0) - \
                    self._token_seconds(state, ticket.tokens)
            state["refused"] = int(state.get("refused", 0)) + 1
            state["generation"] = int(state.get("generation", 0)) + 1
            wait = error.retry_after if error.retry_after is not None else HOLD_WITHOUT_HEADER
            state["hold"] = max(state.get("hold", 0.0), now + wait)
            state["next"] = max(state.get("next", 0.0), state["hold"])
            if self.requests_per_minute and not error.limits:
                return  # a declared quota is trusted: this was jitter, or another client
            learned = _rate_admitted(state, ticket.slot, error.limits)
            old = state.get("learned", 0.0)
            same_burst = ticket.slot <= state.get("last_refusal", 0.0)
            if old and not same_burst:
                # Refused at a learned pace: the last probe went past the quota. Probe less
                # often from now on, so the pace stays near what the service admits
                # instead of crossing it every few seconds.
                state["probe_every"] = min(state.get("probe_every", PROBE_AFTER) * 2,
                                           PROBE_MAX)
            if old and learned >= old:
                # Sent before the last refusal was known: the same burst, already counted.
                # Sent at the learned pace and still refused: the pace is too fast.
                learned = old if same_burst else old * 0.9
            state["learned"] = state["found"] = learned  # found: as a refusal left it
            state["last_refusal"] = state["probed"] = now
            if error.limits.get("tokens_per_minute"):
                state["tokens_limit"] = error.limits["tokens_per_minute"]

    def used(self, tokens: int, reserved: int = 0) -> None:
        """Charge a reply's tokens against the per-minute token rate, when there is one,
        less what was `reserved` for the request before it left (its estimate)."""
        with self._store.open() as state:
            busy = self._token_seconds(state, tokens - reserved)
            if not busy:
                return
            free = state.get("tokens_free", 0.0)
            state["tokens_free"] = (max(free, self.clock()) if busy > 0 else free) + busy


def _forget(state: dict[str, Any], slot: float) -> None:
    """A start that did not happen (refused, or given back) is not an admitted one."""
    starts = list(state.get("starts", []))
    with contextlib.suppress(ValueError):
        starts.remove(slot)
    state["starts"] = starts


def _rate_admitted(state: dict[str, Any], refused: float, limits: dict[str, float]) -> float:
    """Requests per second the service admits: its declared per-minute limit, else the
    densest rate of starts before the refused one over 1, 2 and 5 s (services enforce
    per-minute quotas over seconds: Azure over 1 or 10 s, OpenAI per second). The densest,
    because a request that left late (a busy machine) was counted by the service in a
    later second than its slot: an estimate too high is lowered by the next refusal, one
    too low would slow the rest of the run for nothing."""
    if limits.get("requests_per_minute"):
        return limits["requests_per_minute"] / 60
    starts = state.get("starts", [])
    return max(max(sum(1 for t in starts if refused - window < t <= refused), 1) / window
               for window in WINDOWS)


# ----------------------------------------------------------------- the retry policy
def requesting(send: Callable[[], Any], sleep: Callable[[float], Any], quota: Quota | None,
               timeout: float, fault: Callable[[BaseException], BaseException] = lambda e: e,
               tokens: int = 0) -> drive.Probe[Any]:
    """Send one model request under the quota, retrying as the fault allows.

    Yields calls for `drive.run`/`arun`: `sleep(seconds)` (time.sleep or asyncio.sleep)
    and `send()` (the dialect's send of this request, with a sync or an async client).
    `tokens`, the request's expected use, is reserved with its start (see `Quota.used`).
    What a send raises is read by `fault` (the dialect's: an SDK error becomes a
    CuaProviderError). Returns the response; raises the CuaProviderError that ends the
    retries, saying why."""
    __tracebackhide__ = True
    quota = quota if quota is not None else Quota()
    started = time.monotonic()
    refusals = transient = 0
    while True:
        ticket = quota.reserve(tokens)
        if ticket.wait > 0:
            yield partial(sleep, ticket.wait)
        if not quota.still_valid(ticket):
            continue
        token = SENDING.set(quota)  # paced again at the socket (`Quota.sending`)
        try:
            response = yield send
        finally:
            SENDING.reset(token)
        if isinstance(response, BaseException):
            response = fault(response)
        if not isinstance(response, CuaProviderError):
            return drive.reraise(response)  # its tokens are charged once it is read
        error = response
        if error.kind == FaultKind.RATE:
            quota.refused(ticket, error)
            refusals += 1
            waited = time.monotonic() - started
            if waited >= timeout:
                raise CuaProviderError(
                    f"{error}; refused {refusals} times over {waited:.0f} s for its rate, "
                    f"longer than --cua-timeout={timeout:g}: declare the quota with "
                    "--cua-requests-per-minute / --cua-tokens-per-minute so every worker "
                    "shares it, or run fewer workers", status=error.status,
                    request_id=error.request_id, sdk_error=error.sdk_error, kind=FaultKind.RATE)
            continue
        if error.kind == FaultKind.TRANSIENT and transient < MAX_RETRIES:
            pause = min(error.retry_after, MAX_BACKOFF * 8) if error.retry_after is not None \
                else min(FIRST_BACKOFF * 2 ** transient, MAX_BACKOFF) * (1 + random.random() / 4)
            transient += 1
            yield partial(sleep, pause)
            continue
        raise error


def run_lines(folder: Path, shared: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """What the run's quotas did, for the terminal: refusals and the pace they taught.
    `shared`: the states of quotas kept elsewhere (Redis), by name."""
    lines = []
    lost = folder / "quota-store-lost.txt"
    if lost.is_file():
        lines.append(lost.read_text(encoding="utf-8"))
    states = [store.read(path) for path in sorted(folder.glob("quota-*.json"))]
    for state in [*states, *(shared or {}).values()]:
        refused, learned = int(state.get("refused", 0)), float(state.get("found", 0.0))
        if refused:
            lines.append(
                f"the model service refused {refused} requests for its rate (429); the "
                f"workers paced themselves from there, near {learned / MARGIN:.2f} "
                f"requests/s (declare --cua-requests-per-minute={learned * 60:.0f} to have "
                "none refused)")
    return lines
