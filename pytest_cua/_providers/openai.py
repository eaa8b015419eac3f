"""The OpenAI / Azure OpenAI dialect: the Responses API, its client and its faults.

Credentials use the names the SDKs already read, so a team's existing CI secrets work
unchanged. Provider failures become CuaProviderError (an error, never a test failure)
with the kind of fault and the request id in the message. The wire payloads themselves
are in `protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._core.events import ComputerCall, FunctionCall, Image, ModelTurn
from .._core.prompts import INSTRUCTIONS
from .._run.pacing import MAX_RETRIES, paced_http_client
from ..errors import CuaConfigError, CuaProviderError, hidden_from_users
from ..settings import Settings
from . import responses as protocol
from .faults import SdkFaults, provider_fault, tried

__tracebackhide__ = hidden_from_users  # frames of a pytest-cua error: see errors

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_AZURE_API_VERSION = "2025-03-01-preview"


VARIANTS = ("preview", "ga")
OPENAI_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT",
               "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION")


def tool_for_model(model: str) -> str:
    """`preview` for the computer-use-preview model (and Azure deployments named after it),
    else the GA `computer` tool."""
    return "preview" if "computer-use-preview" in model.lower() else "ga"


class ResponsesDialect:
    """OpenAI's Responses API: turns chained by `previous_response_id` (or resent, with
    `--cua-history=manual`), one `computer_call_output` per call, safety checks by id."""

    provider = "openai"
    screenshot_limit = protocol.GA_MAX_SIZE
    errors_in_results = False  # a computer_call_output holds a screenshot only

    def __init__(self, model: str, tool: str, history: str = "server",
                 reasoning_summary: bool = True) -> None:
        if tool not in VARIANTS:
            raise ValueError(f"unknown tool variant {tool!r}")
        self.model, self.tool, self.history = model, tool, history
        self.reasoning_summary = reasoning_summary
        self.previous_response_id: str | None = None
        self._items: list[dict] = []

    def step_items(self, kind: str, instruction: str, image: Image, done: Sequence[str],
                   secrets: Sequence[str]) -> list[dict]:
        return [protocol.step_message(kind, instruction, image.url, self.tool, done, secrets)]

    def call_result(self, call: ComputerCall, image: Image, acknowledged: list[dict],
                    errors: Sequence[str]) -> list[dict]:
        return [protocol.computer_call_output(call.call_id, image.url, acknowledged)]

    def function_result(self, call: FunctionCall, output: str) -> list[dict]:
        return [protocol.function_call_output(call.call_id, output)]

    def text(self, text: str) -> list[dict]:
        return [protocol.text_message(text)]

    def request(self, items: list[dict], display: tuple[int, int]) -> dict:
        request: dict[str, Any] = {
            "model": self.model,
            "instructions": INSTRUCTIONS,
            "tools": [protocol.computer_tool(self.tool, *display), *protocol.function_tools()],
        }
        if self.history == "manual":
            self._items.extend(items)
            request["input"] = list(self._items)
        else:
            request["input"] = items
            if self.previous_response_id:
                request["previous_response_id"] = self.previous_response_id
        if self.tool == "preview":
            request["truncation"] = "auto"
        if self.reasoning_summary:
            request["reasoning"] = {"summary": "concise"}
        return request

    def parse(self, response: Any) -> ModelTurn:
        turn = protocol.parse_response(response)
        self.previous_response_id = turn.response_id
        if self.history == "manual":
            self._items.extend(i for i in turn.output_items if i.get("type") != "reasoning")
        return turn

    def reset(self) -> None:
        self.previous_response_id = None
        self._items = []

    def warm(self, client: Any) -> None:
        client.responses  # noqa: B018 - the SDK imports its request types on first use

    def send(self, client: Any, request: dict) -> Any:
        return client.responses.create(**request)

    def fault(self, exc: BaseException) -> BaseException:
        return FAULTS(exc)


def build_client(settings: Settings, env: Mapping[str, str],
                 credential: Any = None, *, asynchronous: bool = False,
                 provider: str = "openai") -> Any:
    """An SDK client for the configured provider; CuaConfigError names what to set.

    `provider` is "openai" or "azure" (`registry.resolve_provider`); `credential` lets a
    caller supply an azure-identity credential (tests, or users with a credential other than
    DefaultAzureCredential); `asynchronous` builds the SDK's async client, for the async
    agent.
    """
    import openai  # imported when a client is needed: replayed runs never pay for it

    plain = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    azure = openai.AsyncAzureOpenAI if asynchronous else openai.AzureOpenAI
    # Retries are ours (`quota`): the same for every vendor, and a 429 holds every worker.
    common: dict[str, Any] = {"timeout": settings.timeout, "max_retries": 0,
                              "http_client": paced_http_client(openai, asynchronous)}
    if provider == "openai":
        key = env.get("OPENAI_API_KEY")
        if not key:
            raise CuaConfigError(
                "no OpenAI credentials: set OPENAI_API_KEY (and OPENAI_BASE_URL for a proxy or "
                "compatible endpoint), or set AZURE_OPENAI_ENDPOINT to use Azure OpenAI, or run "
                "from recorded cassettes with --cua-cache=replay"
            )
        return plain(api_key=key, base_url=env.get("OPENAI_BASE_URL") or None, **common)

    endpoint = (env.get("AZURE_OPENAI_ENDPOINT") or "").rstrip("/")
    if not endpoint:
        raise CuaConfigError(
            "provider 'azure' needs AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com), "
            "plus AZURE_OPENAI_API_KEY or a Microsoft Entra ID login usable by "
            "azure.identity.DefaultAzureCredential"
        )
    key = env.get("AZURE_OPENAI_API_KEY")
    token_provider = None
    if not key:
        token_provider = _token_provider(credential)
    api_version = env.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
    if endpoint.endswith("/openai/v1") or api_version in ("v1", "latest", "preview"):
        # The v1 surface is OpenAI-compatible: plain client, key or Entra token as bearer.
        base = endpoint if endpoint.endswith("/openai/v1") else f"{endpoint}/openai/v1"
        return plain(
            base_url=base + "/", api_key=key or token_provider,
            default_headers={"api-key": key} if key else None, **common,
        )
    return azure(
        azure_endpoint=endpoint, api_version=api_version, api_key=key,
        azure_ad_token_provider=token_provider, **common,
    )


def _token_provider(credential: Any) -> Any:
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise CuaConfigError(
            "AZURE_OPENAI_API_KEY is not set and azure-identity is not installed: "
            "set the key or `pip install azure-identity`"
        ) from exc
    return get_bearer_token_provider(credential or DefaultAzureCredential(), AZURE_SCOPE)


def describe_error(exc: BaseException) -> str:
    """Which fault it was, with the request id, and what to do about it."""
    import openai

    request_id = getattr(exc, "request_id", None)
    suffix = f" (request id {request_id})" if request_id else ""
    if isinstance(exc, openai.APITimeoutError):
        return f"the model service timed out{suffix}; raise --cua-timeout or retry"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach the model service{tried(exc)}: {exc}{suffix}; check " \
               "OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT and the network"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"the model service refused the credentials ({exc.status_code}){suffix}; " \
               "check the API key or Entra ID role"
    if isinstance(exc, openai.RateLimitError):
        return f"the model service answered 429{suffix}: {_message(exc)}"
    if isinstance(exc, openai.NotFoundError):
        return f"model or deployment not found (404){suffix}: {_message(exc)}; check --cua-model"
    if isinstance(exc, openai.APIStatusError):
        return (f"the model service answered HTTP {exc.status_code}{suffix}: {_message(exc)}"
                + (f"; it still failed after {MAX_RETRIES} retries: an outage, not a bug in "
                   "the app under test; rerun later (or with --reruns 2 --only-rerun "
                   "CuaProviderError)" if exc.status_code >= 500 else ""))
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return f"malformed response from the model service{suffix}: {exc}"
    return f"{type(exc).__name__}: {exc}{suffix}"


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))


def _sdk_errors() -> tuple[type[BaseException], ...]:
    import openai

    return (openai.OpenAIError, ValueError)


def provider_error(exc: BaseException) -> CuaProviderError:
    """The SDK's exception as the test should read it: fault, status, request id, advice;
    without the SDK's frames or the request (screenshots included) that it carries."""
    import openai

    response = getattr(exc, "response", None)
    return provider_fault(describe_error(exc), exc, status=getattr(exc, "status_code", None),
                          headers=getattr(response, "headers", None),
                          body=getattr(exc, "body", None),
                          request_id=getattr(exc, "request_id", None),
                          transport=isinstance(exc, openai.APIConnectionError))


FAULTS = SdkFaults(_sdk_errors, provider_error)
