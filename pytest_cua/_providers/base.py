"""What every vendor's dialect shares besides the neutral turn: bounding the history's
screenshots, and a client built on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import hidden_from_users

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

# What stands in for an earlier screenshot in a request that keeps only the newest ones.
OMITTED = "(an earlier screenshot, left out to keep the request small)"


def keep_newest_images(slots: Iterable[tuple[list, int]], keep: int,
                       omitted: Callable[[Any], Any]) -> None:
    """Replace every image of a request but the newest `keep`, in place.

    `slots` are where the images are, newest first, as (list, index) wherever the vendor's
    wire format nests them (in messages, tool results, function responses); `omitted`
    gives what stands in for one. Every vendor bounds its history this way: the cost and
    the server's limits grow with each screenshot, the model needs only the last few."""
    for seen, (holder, index) in enumerate(slots):
        if seen >= keep:
            holder[index] = omitted(holder[index])


class LazyClient:
    """A client built on first use, so replayed tests never need credentials.

    Used when cassettes may answer every step (`--cua-cache=auto|replay`): a missing key
    becomes an error only when a step really has to ask the model.
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._client is None:
            self._client = self._build()
        return getattr(self._client, name)
