"""The provider seam: which vendor a test talks to, and its dialect and client.

`dialect_for` gives the loop the vendor's `Dialect` (see `base`); `build_client` builds the
vendor's SDK client from the variables that SDK already reads. Everything vendor-specific
is in one module per vendor: `openai` (OpenAI and Azure OpenAI, the Responses API) and
`anthropic` (the Messages API).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CuaConfigError
from ..settings import DEFAULT_MODEL, Settings
from . import anthropic as anthropic_dialect
from . import openai as openai_dialect
from .base import Dialect, LazyClient
from .openai import (
    AZURE_SCOPE,
    DEFAULT_AZURE_API_VERSION,
    acreate_response,
    create_response,
    describe_error,
    provider_error,
)

__all__ = ["AZURE_SCOPE", "DEFAULT_AZURE_API_VERSION", "Dialect", "LazyClient",
           "acreate_response", "build_client", "client_key", "create_response",
           "default_model", "describe_error", "dialect_for", "provider_error",
           "resolve_provider"]

DEFAULT_MODELS = {"openai": DEFAULT_MODEL, "azure": DEFAULT_MODEL,
                  "anthropic": anthropic_dialect.DEFAULT_MODEL}


def resolve_provider(settings: Settings, env: Mapping[str, str]) -> str:
    """`auto` picks by the credentials that are set: Azure's endpoint, then an OpenAI key,
    then an Anthropic key; OpenAI when none is (its error then says what to set)."""
    if settings.provider != "auto":
        return settings.provider
    if env.get("AZURE_OPENAI_ENDPOINT"):
        return "azure"
    if not env.get("OPENAI_API_KEY") and env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    return "openai"


def default_model(provider: str) -> str:
    return DEFAULT_MODELS[provider]


def model_for(settings: Settings, env: Mapping[str, str]) -> str:
    """The model: as set, or the provider's default when nobody chose one."""
    if "model" in settings.sources:
        return settings.model
    return default_model(resolve_provider(settings, env))


def tool_for(settings: Settings, env: Mapping[str, str]) -> str:
    """The computer tool version: as set, or picked by provider and model name."""
    provider = resolve_provider(settings, env)
    model = model_for(settings, env)
    module = anthropic_dialect if provider == "anthropic" else openai_dialect
    tool = settings.tool if settings.tool != "auto" else module.tool_for_model(model)
    valid = anthropic_dialect.VERSIONS if provider == "anthropic" else openai_dialect.VARIANTS
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
    return openai_dialect.ResponsesDialect(model, tool, settings.history)


def client_key(settings: Settings, env: Mapping[str, str]) -> tuple:
    """What makes two clients interchangeable, so one can be reused across tests."""
    names = (*openai_dialect.OPENAI_VARS, *anthropic_dialect.ANTHROPIC_VARS)
    return (resolve_provider(settings, env), settings.timeout, *(env.get(n) for n in names))


def build_client(settings: Settings, env: Mapping[str, str], credential: Any = None, *,
                 asynchronous: bool = False) -> Any:
    """The SDK client for the configured provider; CuaConfigError names what to set or
    install, before any page is opened."""
    if resolve_provider(settings, env) == "anthropic":
        return anthropic_dialect.build_client(settings, env, asynchronous=asynchronous)
    return openai_dialect.build_client(settings, env, credential, asynchronous=asynchronous)
