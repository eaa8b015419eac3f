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


# The safety check codes the providers send, each with what it means. A policy naming a code
# not listed here is a usage error (a typo must not silently acknowledge nothing), unless it
# is written `code:<name>`: the way to name a code a provider sends that this version does
# not know yet.
KNOWN_CODES = {
    "malicious_instructions": "OpenAI: the screen tells the model to do something else",
    "irrelevant_domain": "OpenAI: the page is unrelated to the task",
    "sensitive_domain": "OpenAI: a sensitive site (banking, health, government)",
    "require_confirmation": "Gemini: the model asks a human to confirm the action",
}
UNKNOWN_PREFIX = "code:"


def policy_codes(policy: str) -> list[str]:
    """The codes a comma-list policy names (with `code:` taken off); raises ValueError for a
    code that is neither known nor marked as deliberately unknown."""
    codes = [c.strip() for c in policy.split(",") if c.strip()]
    unknown = [c for c in codes if c not in KNOWN_CODES and not c.startswith(UNKNOWN_PREFIX)]
    if unknown:
        raise ValueError(
            f"unknown safety check code(s) {', '.join(map(repr, unknown))}; use 'fail', "
            f"'acknowledge' or a comma list of: {', '.join(KNOWN_CODES)} (a code this version "
            f"does not know yet can be named as {UNKNOWN_PREFIX}<code>)")
    return [c.removeprefix(UNKNOWN_PREFIX) for c in codes]


def allowed_codes(policy: str) -> frozenset[str] | None:
    """None means every code is allowed (`acknowledge`); an empty set allows none (`fail`)."""
    if policy == "acknowledge":
        return None
    if policy == "fail":
        return frozenset()
    # Validated when the setting was read (settings.parse_safety_policy); here just read.
    return frozenset(c.strip().removeprefix(UNKNOWN_PREFIX) for c in policy.split(",")
                     if c.strip())


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
