"""Session-wide budgets, shared by every xdist worker: model turns and money.

Each model turn takes one unit before it is sent, and its cost is added when the reply says
what it used (`store.locked`), so the counts are exact across processes. A money budget
stops the next request once the spent amount reaches it: the request that crosses it was
already paid for.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .._core.pricing import dollars
from ..errors import CuaBudgetExceeded
from . import store


class Budget:
    def __init__(self, path: Path, limit: int = 0, max_cost: float = 0.0) -> None:
        self.path = path
        self.limit = limit
        self.max_cost = max_cost

    def spend(self) -> int:
        """Take one model turn; CuaBudgetExceeded when none is left. Returns turns used."""
        with store.locked(self.path) as state:
            used, cost = int(state.get("turns", 0)), float(state.get("cost", 0.0))
            if self.limit and used >= self.limit:
                raise CuaBudgetExceeded(
                    f"the session's model-turn budget is spent: {used} of {self.limit} turns "
                    "(--cua-max-turns-total) used by earlier steps; this step was not sent. "
                    "Raise the limit or run fewer tests")
            if self.max_cost and cost >= self.max_cost:
                raise CuaBudgetExceeded(
                    f"the session's money budget is spent: {dollars(cost)} of "
                    f"{dollars(self.max_cost)} (--cua-max-cost) used by earlier model turns; "
                    "this step was not sent. Raise the limit or run fewer tests")
            state["turns"] = used + 1
            return used + 1

    def charge(self, cost: float) -> None:
        """Add what a turn cost, once its reply says how many tokens it used."""
        if cost:
            with store.locked(self.path) as state:
                state["cost"] = float(state.get("cost", 0.0)) + cost

    def used(self) -> int:
        return int(store.read(self.path).get("turns", 0))

    def spent(self) -> float:
        return float(store.read(self.path).get("cost", 0.0))

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
