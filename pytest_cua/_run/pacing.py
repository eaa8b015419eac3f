"""Pacing a model request at the socket: the quota asked again when the bytes really go.

`quota.requesting` sets `SENDING` around each send; the httpx event hooks here (installed on
the SDKs' clients by `paced_http_client`) wait just before the request headers are written.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

# Retries of a transient fault (5xx, overloaded, cut connection), made by `quota` for every
# vendor alike: the SDKs' own retries are off.
MAX_RETRIES = 2


class Sender(Protocol):
    def sending(self, woke: bool = False) -> float: ...

    def departed(self) -> None: ...


# The quota of the model request being sent in this thread or task (`quota.requesting` sets
# it around each send), asked at the socket how long the bytes must still wait.
SENDING: contextvars.ContextVar[Sender | None] = contextvars.ContextVar(
    "pytest_cua_sending", default=None)
# httpcore's trace events around writing the request headers (HTTP/1.1 and 2): the moment
# the bytes go, after the connection is made.
_WRITING, _WRITTEN = "send_request_headers.started", "send_request_headers.complete"


def _waits(sender: Sender) -> Iterator[float]:
    """The waits before the bytes may go: asked, and asked again after each wait."""
    wait = sender.sending()
    while wait > 0:
        yield wait
        wait = sender.sending(woke=True)


def socket_hooks(asynchronous: bool = False) -> dict[str, list[Callable[..., Any]]]:
    """httpx event hooks that pace a request when its bytes go, not when it was planned.

    A request planned on time can leave late: building it (the screenshots' JSON) on a busy
    machine takes up to half a second, and so can waking from a wait. Its start was spaced
    from the others when planned, so late, it lands next to the one after it; paced again
    as it leaves, the next one waits. The hook gives the request httpcore's trace, which
    waits just before the headers are written and tells when they were: a thread that loses
    the CPU around the write leaves later than it was let go."""
    if asynchronous:
        async def ahook(request: Any) -> None:
            sender = SENDING.get()
            if sender is None:
                return

            async def atrace(event: str, info: dict) -> None:
                if event.endswith(_WRITING):
                    for wait in _waits(sender):
                        await asyncio.sleep(wait)
                elif event.endswith(_WRITTEN):
                    sender.departed()

            request.extensions["trace"] = atrace

        return {"request": [ahook]}

    def hook(request: Any) -> None:
        sender = SENDING.get()
        if sender is None:
            return

        def trace(event: str, info: dict) -> None:
            if event.endswith(_WRITING):
                for wait in _waits(sender):
                    time.sleep(wait)
            elif event.endswith(_WRITTEN):
                sender.departed()

        request.extensions["trace"] = trace

    return {"request": [hook]}


def paced_http_client(sdk: Any, asynchronous: bool = False) -> Any:
    """The `openai` or `anthropic` SDK's own default HTTP client (its timeouts, limits and
    redirects), with `socket_hooks`."""
    cls = sdk.DefaultAsyncHttpxClient if asynchronous else sdk.DefaultHttpxClient
    return cls(event_hooks=socket_hooks(asynchronous))
