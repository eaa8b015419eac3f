"""A provider's rate limit, as the fake model server enforces it.

At most `requests` request starts are admitted in any window of `per` seconds; a start
beyond that is answered 429 with `retry-after-ms` (when the oldest admitted start leaves
the window) and `retry-after`, in the vendor's own error body, and is not admitted (it
does not count). With `shared`, the admitted starts live in a file, so the fake servers of
every xdist worker enforce one quota, as one account's would be.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from .._run import store


class RateLimit:
    def __init__(self, requests: int, per: float = 1.0, *, shared: Path | None = None,
                 declare: bool = False) -> None:
        if requests < 1 or per <= 0:
            raise ValueError("a rate limit admits at least one request per positive period")
        self.requests, self.per, self.path, self.declare = requests, per, shared, declare
        self._store = store.Store(shared)

    def admit(self, arrived: float | None = None) -> float | None:
        """None when a request that arrived at `arrived` (now) may start, else the seconds
        until one may. A service counts a request when it arrives, not once it has read and
        checked it: the time is taken before the body is read."""
        with self._store.open() as state:
            now = arrived if arrived is not None else time.time()
            admitted = [t for t in state.get("admitted", []) if t > now - self.per]
            if len(admitted) >= self.requests:
                state["admitted"] = admitted
                state["refused"] = int(state.get("refused", 0)) + 1
                return max(admitted[-self.requests] + self.per - now, 0.001)
            state["admitted"] = [*admitted, now]
            state["served"] = int(state.get("served", 0)) + 1
            return None

    @property
    def refused(self) -> int:
        with self._store.open() as state:
            return int(state.get("refused", 0))

    @property
    def served(self) -> int:
        with self._store.open() as state:
            return int(state.get("served", 0))

    def headers(self, wait: float) -> dict[str, str]:
        headers = {"retry-after-ms": str(math.ceil(wait * 1000)),
                   "retry-after": str(math.ceil(wait))}
        if self.declare:
            headers["x-ratelimit-limit-requests"] = f"{self.requests * 60 / self.per:g}"
        return headers

    def body(self, vendor: str, wait: float) -> dict:
        text = (f"Rate limit reached: {self.requests} requests per {self.per:g} s. "
                f"Please try again in {wait:.3f}s.")
        if vendor == "anthropic":
            return {"type": "error", "error": {"type": "rate_limit_error", "message": text}}
        if vendor == "gemini":
            return {"error": {"code": 429, "message": text, "status": "RESOURCE_EXHAUSTED"}}
        return {"error": {"message": text, "type": "requests", "param": None,
                          "code": "rate_limit_exceeded"}}
