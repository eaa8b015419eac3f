"""What a failed model request means, for every vendor alike: a rate to wait out, a quota
or credit spent, a transient fault to retry, or a fatal one; and how long the service asked
us to wait, and the per-minute limits it declared."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

from ..errors import CuaProviderError, FaultKind, hidden_from_users

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

_SPENT_WORDS = ("insufficient_quota", "exceeded your current quota", "billing",
                "credit balance", "perday", "per day")
_LIMIT_HEADERS = {  # OpenAI / Azure OpenAI, then Anthropic: both count per minute
    "x-ratelimit-limit-requests": "requests_per_minute",
    "x-ratelimit-limit-tokens": "tokens_per_minute",
    "anthropic-ratelimit-requests-limit": "requests_per_minute",
    "anthropic-ratelimit-tokens-limit": "tokens_per_minute",
}


def fault_kind(status: int | None, body: Any, *, transport: bool = False) -> FaultKind:
    """What a failed request means for a retry (see `CuaProviderError.KINDS`): a 429 is a
    rate unless its body says the quota or credit is spent (OpenAI's insufficient_quota,
    Gemini's per-day quotas); 408, 409, 5xx and a cut connection are transient."""
    if status == 429:
        text = json.dumps(body).lower() if body is not None else ""
        return FaultKind.SPENT if any(w in text for w in _SPENT_WORDS) else FaultKind.RATE
    if transport or status in (408, 409) or (status is not None and status >= 500):
        return FaultKind.TRANSIENT
    return FaultKind.FATAL


def retry_after(headers: Any, body: Any = None) -> float | None:
    """Seconds the service asked for: `retry-after-ms`, `retry-after` (seconds or an HTTP
    date), or Gemini's RetryInfo `retryDelay` ("12s") in the error's details."""
    get = headers.get if hasattr(headers, "get") else (lambda _name: None)
    with contextlib.suppress(TypeError, ValueError):
        milliseconds = get("retry-after-ms")
        if milliseconds is not None:
            return max(float(milliseconds) / 1000, 0.0)
    value = get("retry-after")
    if value is not None:
        try:
            return max(float(value), 0.0)
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                when = email.utils.parsedate_to_datetime(value)
                return max(when.timestamp() - time.time(), 0.0)
    details = body.get("error", {}).get("details", []) if isinstance(body, dict) and \
        isinstance(body.get("error"), dict) else []
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            with contextlib.suppress(ValueError):
                return max(float(delay[:-1]), 0.0)
    return None


def rate_limits(headers: Any) -> dict[str, float]:
    """The per-minute limits the service declared in its headers, when it did."""
    limits: dict[str, float] = {}
    for name, key in _LIMIT_HEADERS.items():
        value = headers.get(name) if hasattr(headers, "get") else None
        with contextlib.suppress(TypeError, ValueError):
            if value is not None and float(value) > 0:
                limits.setdefault(key, float(value))
    return limits


SPENT_ADVICE = ("; the account's quota or credit is spent, which waiting does not fix, so it "
                "is not retried: check the plan, billing or quota of the key")


def tried(exc: BaseException) -> str:
    """" at <address>" of the request an SDK error is about (no query: it may hold a key),
    so a connection that failed names where it went; "" when the SDK does not say."""
    url = getattr(getattr(exc, "request", None), "url", None)
    host = getattr(url, "host", None)
    if not host:
        return ""
    port = f":{url.port}" if getattr(url, "port", None) else ""  # type: ignore[union-attr]
    return f" at {url.scheme}://{host}{port}{url.path}"  # type: ignore[union-attr]


def provider_fault(text: str, exc: BaseException, *, status: int | None, headers: Any,
                   body: Any, request_id: str | None, transport: bool = False) -> Any:
    """The SDK's exception as a CuaProviderError that says how to retry it."""
    kind = fault_kind(status, body, transport=transport)
    if kind == "spent":
        text += SPENT_ADVICE
    return CuaProviderError(text, status=status, request_id=request_id, sdk_error=exc,
                            kind=kind, retry_after=retry_after(headers, body),
                            limits=rate_limits(headers))


class SdkFaults:
    """One vendor SDK's exceptions turned into ours, in one place (as httpx's
    `map_httpcore_exceptions`): a `CuaProviderError` that says what failed and how to retry
    it, without the SDK's frames or the request (screenshots included) it carries.

    Called on whatever a send raised, sync or async alike; anything that is not the SDK's
    is returned as it is."""

    def __init__(self, errors: Callable[[], tuple[type[BaseException], ...]],
                 convert: Callable[[BaseException], CuaProviderError]) -> None:
        self._errors = errors  # a function: the SDK is imported only when a fault happens
        self._convert = convert

    def __call__(self, exc: BaseException) -> BaseException:
        return self._convert(exc) if isinstance(exc, self._errors()) else exc
