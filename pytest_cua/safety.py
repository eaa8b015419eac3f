"""The safety policy: which pending safety checks may be acknowledged without a human.

In CI nobody can answer the seed sample's "proceed? (y/n)", so the policy answers, and the
default refuses: the test fails and the action is never executed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SafetyDecision:
    acknowledged: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.refused


def allowed_codes(policy: str) -> frozenset[str] | None:
    """None means every code is allowed (`acknowledge`); an empty set allows none (`fail`)."""
    if policy == "acknowledge":
        return None
    if policy == "fail":
        return frozenset()
    return frozenset(code.strip() for code in policy.split(",") if code.strip())


def decide(policy: str, checks: Iterable[Mapping]) -> SafetyDecision:
    """Split pending checks into those the policy acknowledges and those it refuses.

    Acknowledged checks are echoed with the same id, code and message, as the API requires.
    """
    allowed = allowed_codes(policy)
    acknowledged: list[dict] = []
    refused: list[dict] = []
    for check in checks:
        echo = {"id": check.get("id"), "code": check.get("code"), "message": check.get("message")}
        if allowed is None or (echo["code"] in allowed):
            acknowledged.append(echo)
        else:
            refused.append(echo)
    return SafetyDecision(acknowledged, refused)
