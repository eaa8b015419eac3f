"""The provider seam: which vendor a test talks to, and its dialect and client.

`dialect_for` gives the conversation the vendor's `Dialect` (`_core.dialect`);
`build_client` builds the vendor's SDK client from the variables that SDK already reads.
Everything vendor-specific is in one module per vendor: `openai` (OpenAI and Azure
OpenAI, the Responses API), `anthropic` (the Messages API), `gemini` (generateContent
with computer use) and `chat` (open-weight models behind a chat completions server, their
grammars in `families`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._core.dialect import Dialect
from ..errors import CuaConfigError
from ..settings import DEFAULT_MODEL, Settings
from . import anthropic as anthropic_dialect
from . import chat as chat_dialect
from . import families
from . import gemini as gemini_dialect
from . import openai as openai_dialect
from .base import LazyClient
from .openai import AZURE_SCOPE, DEFAULT_AZURE_API_VERSION, describe_error, provider_error

__all__ = [
    "AZURE_SCOPE",
    "DEFAULT_AZURE_API_VERSION",
    "Dialect",
    "LazyClient",
    "build_client",
    "client_key",
    "default_model",
    "describe_error",
    "dialect_for",
    "provider_error",
    "quota_key",
    "resolve_provider",
]


@dataclass(frozen=True)
class Provider:
    """One vendor's row: everything the rest of the package asks about a provider (its
    default model, its tool versions, the variables its SDK reads, how to build its dialect
    and its client) is derived from these rows, as Anthropic's quickstart tables its tool
    versions. A new vendor is a new row and a new dialect module."""

    name: str
    default_model: str
    tools: tuple[str, ...]  # for openai-compatible: the model families (the "tool" is one)
    env_vars: tuple[str, ...]
    dialect: Callable[[str, str, Settings, Mapping[str, str]], Dialect]  # model, tool, ...
    client: Callable[[Settings, Mapping[str, str], Any, bool], Any]  # ..., credential, async
    tool_for_model: Callable[[str], str] | None = None  # picks the tool when it is auto


def _openai_row(name: str) -> Provider:
    return Provider(
        name, DEFAULT_MODEL, openai_dialect.VARIANTS, openai_dialect.OPENAI_VARS,
        lambda model, tool, settings, env: openai_dialect.ResponsesDialect(
            model, tool, settings.history),
        lambda settings, env, credential, asynchronous: openai_dialect.build_client(
            settings, env, credential, asynchronous=asynchronous, provider=name),
        openai_dialect.tool_for_model)


PROVIDERS: dict[str, Provider] = {row.name: row for row in (
    _openai_row("openai"),
    _openai_row("azure"),
    Provider("anthropic", anthropic_dialect.DEFAULT_MODEL, anthropic_dialect.VERSIONS,
             anthropic_dialect.ANTHROPIC_VARS,
             lambda model, tool, settings, env: anthropic_dialect.MessagesDialect(model, tool),
             lambda settings, env, credential, asynchronous: anthropic_dialect.build_client(
                 settings, env, asynchronous=asynchronous),
             anthropic_dialect.tool_for_model),
    Provider("gemini", gemini_dialect.DEFAULT_MODEL, (gemini_dialect.TOOL,),
             gemini_dialect.GEMINI_VARS,
             lambda model, tool, settings, env: gemini_dialect.GeminiDialect(
                 model, settings.gemini_excluded),
             lambda settings, env, credential, asynchronous: gemini_dialect.build_client(
                 settings, env, asynchronous=asynchronous),
             gemini_dialect.tool_for_model),
    Provider(chat_dialect.PROVIDER, "", tuple(families.FAMILIES), (),
             lambda model, tool, settings, env: chat_dialect.ChatDialect(
                 model, family_for(settings, env), settings.extra_body,
                 settings.extra_headers),
             lambda settings, env, credential, asynchronous: chat_dialect.build_client(
                 settings, env, asynchronous=asynchronous)),
)}
# The command line's choices for the settings whose values are the vendors' (`settings`
# lists the rest): every tool version, and the open-weight model families.
CHOICES: dict[str, tuple[str, ...]] = {
    "tool": ("auto", *dict.fromkeys(
        t for row in PROVIDERS.values() if row.name != chat_dialect.PROVIDER
        for t in row.tools)),
    "model_family": ("auto", *families.FAMILIES),
}
# Every variable any vendor's SDK reads: what makes two clients or quotas the same.
_ENV_VARS = tuple(dict.fromkeys(v for row in PROVIDERS.values() for v in row.env_vars))


def resolve_provider(settings: Settings, env: Mapping[str, str]) -> str:
    """`auto` picks by the credentials that are set: Azure's endpoint, then an OpenAI key,
    then an Anthropic key, then a Gemini key (or Vertex AI); OpenAI when none is (its error
    then says what to set)."""
    if settings.provider != "auto":
        return settings.provider
    if env.get("AZURE_OPENAI_ENDPOINT"):
        return "azure"
    if env.get("OPENAI_API_KEY"):
        return "openai"
    if env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    if (env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY")
            or str(env.get("GOOGLE_GENAI_USE_VERTEXAI", "")).lower() in ("1", "true", "yes")):
        return "gemini"
    return "openai"


def default_model(provider: str) -> str:
    return PROVIDERS[provider].default_model


def model_for(settings: Settings, env: Mapping[str, str]) -> str:
    """The model: as set, or the provider's default when nobody chose one (a server of
    open-weight models has none: its served name must be given)."""
    if "model" in settings.sources:
        return settings.model
    provider = resolve_provider(settings, env)
    if provider == chat_dialect.PROVIDER:
        raise CuaConfigError(
            "provider 'openai-compatible' needs the served model name: set --cua-model "
            "(cua_model, CUA_MODEL) to the name the server lists at /v1/models, e.g. "
            "ui-tars-1.5-7b or Qwen/Qwen3-VL-30B-A3B-Instruct")
    return default_model(provider)


def family_for(settings: Settings, env: Mapping[str, str]) -> families.Family:
    """The open-weight model's family: as set, or guessed from the served model name."""
    try:
        return families.family_for(settings.model_family, model_for(settings, env))
    except families.UnknownFamily as exc:
        raise CuaConfigError(str(exc)) from None


def tool_for(settings: Settings, env: Mapping[str, str]) -> str:
    """The computer tool version: as set, or picked by provider and model name."""
    provider = resolve_provider(settings, env)
    model = model_for(settings, env)
    if provider == chat_dialect.PROVIDER:  # the family is the "tool": its grammar
        return family_for(settings, env).name
    row = PROVIDERS[provider]
    tool = settings.tool if settings.tool != "auto" or row.tool_for_model is None else \
        row.tool_for_model(model)
    valid = row.tools
    if tool not in valid:
        raise CuaConfigError(
            f"--cua-tool={tool} is not a computer tool of provider {provider!r}; use one of "
            f"{', '.join(valid)} (or auto)")
    return tool


def dialect_for(settings: Settings, env: Mapping[str, str]) -> Dialect:
    """The conversation's translator for the configured provider, model and tool version."""
    row = PROVIDERS[resolve_provider(settings, env)]
    return row.dialect(model_for(settings, env), tool_for(settings, env), settings, env)


def client_key(settings: Settings, env: Mapping[str, str]) -> tuple:
    """What makes two clients interchangeable, so one can be reused across tests."""
    return (resolve_provider(settings, env), settings.timeout, *(env.get(n) for n in _ENV_VARS))


def quota_key(settings: Settings, env: Mapping[str, str]) -> tuple:
    """What a service counts one quota for: the account (its key, Azure's resource, the
    Vertex project) and the model (OpenAI's limits are per model, Azure's per deployment),
    not the address it is reached at (a proxy or gateway in front of it changes nothing)."""
    account = tuple(env.get(n) for n in _ENV_VARS if not n.endswith("_BASE_URL"))
    return (resolve_provider(settings, env), *account, model_for(settings, env))


def build_client(settings: Settings, env: Mapping[str, str], credential: Any = None, *,
                 asynchronous: bool = False) -> Any:
    """The SDK client for the configured provider; CuaConfigError names what to set or
    install, before any page is opened."""
    return PROVIDERS[resolve_provider(settings, env)].client(settings, env, credential,
                                                             asynchronous)
