"""The provider seam: which vendor a test talks to, and its dialect and client.

`dialect_for` gives the loop the vendor's `Dialect` (see `base`); `build_client` builds the
vendor's SDK client from the variables that SDK already reads. Everything vendor-specific
is in one module per vendor: `openai` (OpenAI and Azure OpenAI, the Responses API) and
`anthropic` (the Messages API) and `gemini` (generateContent with computer use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CuaConfigError
from ..settings import DEFAULT_MODEL, Settings
from . import anthropic as anthropic_dialect
from . import chat as chat_dialect
from . import families
from . import gemini as gemini_dialect
from . import openai as openai_dialect
from .base import Dialect, LazyClient
from .openai import (
    AZURE_SCOPE,
    DEFAULT_AZURE_API_VERSION,
    describe_error,
    provider_error,
)

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

DEFAULT_MODELS = {"openai": DEFAULT_MODEL, "azure": DEFAULT_MODEL,
                  "anthropic": anthropic_dialect.DEFAULT_MODEL,
                  "gemini": gemini_dialect.DEFAULT_MODEL, "openai-compatible": ""}
_MODULES: dict[str, Any] = {"openai": openai_dialect, "azure": openai_dialect,
                            "anthropic": anthropic_dialect, "gemini": gemini_dialect,
                            "openai-compatible": chat_dialect}
_TOOLS = {"openai": openai_dialect.VARIANTS, "azure": openai_dialect.VARIANTS,
          "anthropic": anthropic_dialect.VERSIONS, "gemini": (gemini_dialect.TOOL,),
          "openai-compatible": tuple(families.FAMILIES)}


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
    return DEFAULT_MODELS[provider]


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
    tool = settings.tool if settings.tool != "auto" else \
        _MODULES[provider].tool_for_model(model)
    valid = _TOOLS[provider]
    if tool not in valid:
        raise CuaConfigError(
            f"--cua-tool={tool} is not a computer tool of provider {provider!r}; use one of "
            f"{', '.join(valid)} (or auto)")
    return tool


def dialect_for(settings: Settings, env: Mapping[str, str]) -> Dialect:
    """The loop's translator for the configured provider, model and tool version."""
    provider = resolve_provider(settings, env)
    model, tool = model_for(settings, env), tool_for(settings, env)
    if provider == "anthropic":
        return anthropic_dialect.MessagesDialect(model, tool)
    if provider == "gemini":
        return gemini_dialect.GeminiDialect(model, settings.gemini_excluded)
    if provider == chat_dialect.PROVIDER:
        return chat_dialect.ChatDialect(model, family_for(settings, env),
                                        settings.extra_body, settings.extra_headers)
    return openai_dialect.ResponsesDialect(model, tool, settings.history)


def client_key(settings: Settings, env: Mapping[str, str]) -> tuple:
    """What makes two clients interchangeable, so one can be reused across tests."""
    names = (*openai_dialect.OPENAI_VARS, *anthropic_dialect.ANTHROPIC_VARS,
             *gemini_dialect.GEMINI_VARS)
    return (resolve_provider(settings, env), settings.timeout, *(env.get(n) for n in names))


def quota_key(settings: Settings, env: Mapping[str, str]) -> tuple:
    """What a service counts one quota for: the account (its key, Azure's resource, the
    Vertex project) and the model (OpenAI's limits are per model, Azure's per deployment),
    not the address it is reached at (a proxy or gateway in front of it changes nothing)."""
    names = (*openai_dialect.OPENAI_VARS, *anthropic_dialect.ANTHROPIC_VARS,
             *gemini_dialect.GEMINI_VARS)
    account = tuple(env.get(n) for n in names if not n.endswith("_BASE_URL"))
    return (resolve_provider(settings, env), *account, model_for(settings, env))


def build_client(settings: Settings, env: Mapping[str, str], credential: Any = None, *,
                 asynchronous: bool = False) -> Any:
    """The SDK client for the configured provider; CuaConfigError names what to set or
    install, before any page is opened."""
    provider = resolve_provider(settings, env)
    if provider in ("anthropic", "gemini", chat_dialect.PROVIDER):
        return _MODULES[provider].build_client(settings, env, asynchronous=asynchronous)
    return openai_dialect.build_client(settings, env, credential, asynchronous=asynchronous)
