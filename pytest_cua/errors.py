"""Exceptions that decide how a CUA step shows up in pytest.

Product failures subclass AssertionError so pytest reports them as ordinary test
failures; infrastructure problems (provider, configuration) do not, so they are
reported as errors and never mistaken for a bug in the application under test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._compat import StrEnum


class CuaError(Exception):
    """Base class of every exception pytest-cua raises."""


def hidden_from_users(excinfo: Any) -> bool:
    """The `__tracebackhide__` of the modules a step runs through. A user's traceback ends
    at their own `cua_agent(...)` line when the error is pytest-cua's own (its message
    says what happened); a bug in the plugin keeps every frame."""
    return excinfo is not None and isinstance(getattr(excinfo, "value", None), CuaError)


class CuaStepFailed(CuaError, AssertionError):
    """The model reported that it could not do the step."""

    def __init__(self, instruction: str, reason: str, result: Any = None) -> None:
        self.instruction = instruction
        self.reason = reason
        self.result = result
        super().__init__(f"CUA step failed: {instruction!r}\nmodel's reason: {reason}")


class CuaCheckFailed(CuaStepFailed):
    """The model judged the claim of a `check` to be false."""

    def __init__(self, instruction: str, reason: str, result: Any = None) -> None:
        super().__init__(instruction, reason, result)
        self.args = (f"CUA check failed: {instruction!r}\nmodel's reason: {reason}",)


class CuaMaxStepsExceeded(CuaError, AssertionError):
    """The model needed more turns than max_steps allows for one step."""

    def __init__(self, instruction: str, max_steps: int, result: Any = None) -> None:
        self.instruction = instruction
        self.max_steps = max_steps
        self.result = result
        super().__init__(
            f"CUA step {instruction!r} did not finish within max_steps={max_steps} model turns; "
            "raise it with @pytest.mark.cua(max_steps=N) or --cua-max-steps if the step is long"
        )


class CuaSafetyCheckFailed(CuaError, AssertionError):
    """The model raised a safety check that the policy does not allow; nothing was executed."""

    def __init__(self, instruction: str, checks: Sequence[dict], policy: str,
                 result: Any = None) -> None:
        self.instruction = instruction
        self.checks = list(checks)
        self.policy = policy
        self.result = result
        lines = "\n".join(
            f"  - id={c.get('id')} code={c.get('code')} message={c.get('message')}"
            for c in self.checks
        )
        super().__init__(
            f"CUA safety check not allowed by policy {policy!r} during {instruction!r}; "
            f"the action was not executed:\n{lines}\n"
            "allow codes with --cua-safety-policy=CODE[,CODE] or "
            "@pytest.mark.cua(safety_policy=...) only if the page is trusted"
        )


class FaultKind(StrEnum):
    """What a provider fault means for a retry."""

    RATE = "rate"  # a quota's rate: wait and retry; every worker of the run waits too
    SPENT = "spent"  # the account's quota or credit is used up: fail fast
    TRANSIENT = "transient"  # 5xx, overloaded, a cut connection: a few retries
    FATAL = "fatal"  # anything else: no retry


class CuaProviderError(CuaError):
    """The model service failed (unreachable, refused, 5xx, timeout, malformed reply).

    Not an AssertionError: this is infrastructure, not a product bug. The SDK's own
    exception is kept as `sdk_error` (not chained: its traceback and request are noise in
    a test report); `status` and `request_id` are what a support ticket needs.
    """

    KINDS = tuple(kind.value for kind in FaultKind)  # what `kind` may be (FaultKind)

    def __init__(self, message: str, *, status: int | None = None,
                 request_id: str | None = None, sdk_error: BaseException | None = None,
                 kind: str = FaultKind.FATAL, retry_after: float | None = None,
                 limits: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.sdk_error = sdk_error
        self.kind = FaultKind(kind)
        self.retry_after = retry_after  # seconds the service asked us to wait, if it said
        self.limits = dict(limits or {})  # requests/tokens per minute its headers declared


class CuaConfigError(CuaError):
    """Settings or credentials are missing or wrong; raised before any browser work."""


class CuaReplayMismatch(CuaError, AssertionError):
    """In replay mode, the page no longer matches the cassette: the UI changed.

    A product-side difference, so an AssertionError: the test fails, naming the step, the
    action and what was expected versus found.
    """

    def __init__(self, step_number: int, instruction: str, what: str, result: Any = None) -> None:
        self.step_number = step_number
        self.instruction = instruction
        self.what = what
        self.result = result
        super().__init__(
            f"CUA replay: step {step_number} {instruction!r} no longer matches the cassette:\n"
            f"{what}\nif the change is intended, re-record with --cua-cache=record "
            "(or let --cua-cache=auto heal it through the model)"
        )


class CuaCassetteError(CuaError):
    """A cassette is missing, unreadable or recorded for other settings (an error, not a
    product failure): the message names the file and how to re-record it."""


class CuaBudgetExceeded(CuaError):
    """The session's model-turn budget (--cua-max-turns-total) is spent: an error, so the
    remaining CUA tests stop fast instead of spending more."""


class CuaDomainBlocked(CuaError, AssertionError):
    """An action navigated to a host that allowed_domains does not list; it was blocked."""

    def __init__(self, instruction: str, urls: Sequence[str], rules: Sequence[str],
                 result: Any = None) -> None:
        self.instruction = instruction
        self.urls = list(urls)
        self.result = result
        super().__init__(
            f"CUA step {instruction!r} tried to leave the allowed domains: navigation to "
            f"{', '.join(self.urls)} was blocked (allowed: {', '.join(rules)}); add the host "
            "with --cua-allowed-domain if the test should go there"
        )
