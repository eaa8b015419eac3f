"""The one way pytest-cua is both sync and async: code written once, as a generator.

A probe yields calls (thunks) and receives their results; `run` drives it over the sync
Playwright API, SDK clients and `time.sleep`, `arun` over the async ones and
`asyncio.sleep`. Method names are the same in both APIs, so a step, an action, a page read
or a retried request is written once and cannot drift between its sync and async twins
(Playwright generates its twins; httpcore generates `_sync` from `_async`; this is the
hand-written form of the same idea, as h11 keeps its protocol free of I/O).

A call that raises is sent back as the exception: the probe decides whether it matters
(`reraise` when it does).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

from ..errors import hidden_from_users

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

T = TypeVar("T")
Call = Callable[[], Any]  # a page call: its result, or (async API) an awaitable of it
Probe = Generator[Call, Any, T]


def run(probe: Probe[T]) -> T:
    """Drive a probe over the sync Playwright API."""
    __tracebackhide__ = True
    value: Any = None
    while True:
        try:
            call = probe.send(value)
        except StopIteration as stop:
            return stop.value
        try:
            value = call()
        except Exception as exc:  # sent as the value: the probe decides whether it matters
            value = exc


async def arun(probe: Probe[T]) -> T:
    """Drive a probe over the async Playwright API."""
    __tracebackhide__ = True
    value: Any = None
    while True:
        try:
            call = probe.send(value)
        except StopIteration as stop:
            return stop.value
        try:
            value = await call()
        except Exception as exc:
            value = exc


def reraise(value: Any) -> Any:
    """A page call's result; the exception it raised, raised here (see `run`)."""
    if isinstance(value, BaseException):
        raise value
    return value
