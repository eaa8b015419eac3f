"""What every vendor's computer use has in common: the neutral turn and the dialect seam.

The loop (`loop.Conversation`) speaks only in these terms: computer calls carrying actions
in our own vocabulary (`actions.plan` runs them, cassettes store them, reports draw them),
function calls for our verdict and answer tools, text, reasoning, usage and ids. A
`Dialect` translates between them and one vendor's wire format: it builds the requests
(history included), parses replies into a `ModelTurn`, builds the results of actions, and
sends with that vendor's SDK. A new vendor is one new dialect, not branches in the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
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


VERDICT_TOOL = "cua_verdict"
ANSWER_TOOL = "cua_answer"

INSTRUCTIONS = (
    "You are the hands and eyes of an automated end-to-end UI test. You control a web "
    "browser through the computer tool; the user gives one test step at a time. Carry out "
    "exactly what the step says, nothing more, and do not ask for confirmation: nobody can "
    "answer. When the step is done, or you are sure it cannot be done, call the function "
    f"{VERDICT_TOOL} with passed true or false and a short reason that names what you saw. "
    f"When the step asks a question, answer it by calling {ANSWER_TOOL}. Never reply with "
    "plain text instead of calling one of these functions."
)

PROMPTS = {
    "act": (
        "Test step (perform it): {instruction}\n\nWhen it is done, call "
        f"{VERDICT_TOOL} with passed=true; if it cannot be done, call {VERDICT_TOOL} with "
        "passed=false and the reason."
    ),
    "check": (
        "Test check (verify, do not change the page; you may scroll to look): {instruction}"
        f"\n\nCall {VERDICT_TOOL} with passed=true if the claim is true of the page as it is, "
        "passed=false if it is false, with the reason."
    ),
    "ask": (
        "Question about the page (look, do not change it; you may scroll): {instruction}"
        f"\n\nCall {ANSWER_TOOL} with the answer, as short as the question allows."
    ),
}

NUDGE = (
    "You replied with text. This is an automated test and nobody reads it: call {tool} "
    "now with your conclusion."
)

# Our two tools, as JSON schemas every vendor's function declarations take.
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "passed": {"type": "boolean", "description": "true if done / true"},
        "reason": {"type": "string", "description": "what you saw that decides it"},
    },
    "required": ["passed", "reason"],
    "additionalProperties": False,
}
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
OUR_TOOLS = (
    (VERDICT_TOOL, "Report the outcome of the current test step or check.", VERDICT_SCHEMA),
    (ANSWER_TOOL, "Answer the question of the current test step.", ANSWER_SCHEMA),
)


def step_text(kind: str, instruction: str, done: Sequence[str] = (),
              secrets: Sequence[str] = ()) -> str:
    """What the model is told at the start of a step, whatever the vendor."""
    return with_context(PROMPTS[kind].format(instruction=instruction), done, secrets)


def with_context(text: str, done: Sequence[str] = (), secrets: Sequence[str] = ()) -> str:
    """A step's text with what the model must also know: the secret placeholders it may
    type, and the steps replayed from a cassette since it last heard from us."""
    if secrets:
        names = ", ".join("{" + name + "}" for name in secrets)
        text += (f"\nSecret values are given as placeholders: {names}. To enter one, type its "
                 "placeholder exactly as written; the real value is typed for you and the "
                 "field is masked in screenshots.")
    if done:
        text = ("These earlier steps of the test were already carried out: "
                + "; ".join(done) + ".\n" + text)
    return text


@dataclass(frozen=True)
class Image:
    """A screenshot as sent to the model: a data URL and the size the model sees."""

    url: str
    width: int
    height: int
    zoomed: bool = False  # a region at full resolution, not the screen: no new display size
    page_url: str = ""  # where the browser was (Gemini's function responses carry it)

    @property
    def media_type(self) -> str:
        return self.url[5:self.url.index(";")] if self.url.startswith("data:") else "image/png"

    @property
    def base64(self) -> str:
        return self.url.split(",", 1)[1] if "," in self.url else ""


@dataclass
class ComputerCall:
    """Actions the model asked for, in our vocabulary, under one id to answer."""

    call_id: str
    actions: list[dict]
    pending_checks: list[dict] = field(default_factory=list)
    batched: bool = False


@dataclass
class FunctionCall:
    call_id: str
    name: str
    arguments: str

    def parsed(self) -> dict | None:
        try:
            value = json.loads(self.arguments or "")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class ModelTurn:
    """One model reply, reduced to what the loop and the trail need."""

    response_id: str
    status: str | None
    computer_calls: list[ComputerCall] = field(default_factory=list)
    function_calls: list[FunctionCall] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    # How the reply ended when it is not a normal end of turn: "refusal" (the model will
    # not do it), "max_tokens" (cut off), "pause_turn" (the service wants to go on).
    stop: str | None = None
    output_items: list[dict] = field(default_factory=list)


class Dialect(Protocol):
    """One vendor's computer use: what the loop needs, in the vendor's wire format."""

    provider: str
    tool: str  # the tool version, as cassettes and reports name it
    screenshot_limit: tuple[int, int]  # screenshots are scaled down to fit this box
    # Whether `call_result` tells the model why actions failed (Claude's `is_error`
    # results, Gemini's `error` responses); otherwise the loop says it in a text message.
    errors_in_results: bool

    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[Any]: ...

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[Any]: ...

    def function_result(self, call: FunctionCall, output: str) -> list[Any]: ...

    def text(self, text: str) -> list[Any]: ...

    def request(self, items: list[Any], display: tuple[int, int]) -> dict: ...

    def parse(self, response: Any) -> ModelTurn: ...

    def reset(self) -> None: ...

    def warm(self, client: Any) -> None:
        """Load what the SDK loads on its first request, before a request's quota slot is
        taken: a first request that leaves late would crowd the next one's window."""

    def create(self, client: Any, request: dict) -> Any: ...

    async def acreate(self, client: Any, request: dict) -> Any: ...


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


# ----------------------------------------------------------------- faults, vendor-neutral
_SPENT_WORDS = ("insufficient_quota", "exceeded your current quota", "billing",
                "credit balance", "perday", "per day")
_LIMIT_HEADERS = {  # OpenAI / Azure OpenAI, then Anthropic: both count per minute
    "x-ratelimit-limit-requests": "requests_per_minute",
    "x-ratelimit-limit-tokens": "tokens_per_minute",
    "anthropic-ratelimit-requests-limit": "requests_per_minute",
    "anthropic-ratelimit-tokens-limit": "tokens_per_minute",
}


def fault_kind(status: int | None, body: Any, *, transport: bool = False) -> str:
    """What a failed request means for a retry (see `CuaProviderError.KINDS`): a 429 is a
    rate unless its body says the quota or credit is spent (OpenAI's insufficient_quota,
    Gemini's per-day quotas); 408, 409, 5xx and a cut connection are transient."""
    if status == 429:
        text = json.dumps(body).lower() if body is not None else ""
        return "spent" if any(w in text for w in _SPENT_WORDS) else "rate"
    if transport or status in (408, 409) or (status is not None and status >= 500):
        return "transient"
    return "fatal"


def retry_after(headers: Any, body: Any = None) -> float | None:
    """Seconds the service asked for: `retry-after-ms`, `retry-after` (seconds or an HTTP
    date), or Gemini's RetryInfo `retryDelay` ("12s") in the error's details."""
    get = headers.get if hasattr(headers, "get") else (lambda _name: None)
    with contextlib.suppress(TypeError, ValueError):
        if get("retry-after-ms") is not None:
            return max(float(get("retry-after-ms")) / 1000, 0.0)
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


def provider_fault(text: str, exc: BaseException, *, status: int | None, headers: Any,
                   body: Any, request_id: str | None, transport: bool = False) -> Any:
    """The SDK's exception as a CuaProviderError that says how to retry it."""
    from ..errors import CuaProviderError

    kind = fault_kind(status, body, transport=transport)
    if kind == "spent":
        text += SPENT_ADVICE
    return CuaProviderError(text, status=status, request_id=request_id, sdk_error=exc,
                            kind=kind, retry_after=retry_after(headers, body),
                            limits=rate_limits(headers))
