"""The `--cua-*` options, their ini keys and the `cua` marker: one Spec row each (see
`settings`), resolved into `Settings` for the run and for each test."""

from __future__ import annotations

import os
from typing import Any

import pytest

from .._providers import registry
from ..errors import CuaConfigError
from ..settings import LIST_SPECS, MARKER_KEYS, SPECS, SettingError, Settings, resolve

SESSION_KEY = pytest.StashKey[Settings]()  # the run's settings, before any marker


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cua", "pytest-cua (AI-driven UI steps)")
    for spec in SPECS:
        choices = registry.CHOICES.get(spec.name, spec.choices)
        kwargs: dict[str, Any] = {"dest": f"cua_{spec.name}", "default": None,
                                  "help": spec.help + f" [env {spec.env}]"}
        if choices:
            kwargs["choices"] = choices
        if spec.name in LIST_SPECS:
            kwargs["action"] = "append"
        group.addoption(spec.option, **kwargs)
        if spec.name in LIST_SPECS:
            parser.addini(spec.ini, spec.help, default=None, type="linelist")
        else:
            parser.addini(spec.ini, spec.help, default=None, type="string")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cua(" + ", ".join(f"{k}=..." for k in MARKER_KEYS) + "): pytest-cua settings for one "
        "test, overriding command line, ini and environment",
    )
    settings = session_settings(config)
    if registry.resolve_provider(settings, os.environ) == "openai-compatible":
        try:  # the served model and its family: wrong ones are usage errors, before any test
            registry.tool_for(settings, os.environ)
        except CuaConfigError as exc:
            raise pytest.UsageError(f"pytest-cua: {exc}") from None


def session_settings(config: pytest.Config) -> Settings:
    """The run's settings: command line over ini over environment. A wrong value is a
    usage error before any test runs."""
    if SESSION_KEY not in config.stash:
        try:
            config.stash[SESSION_KEY] = _resolve(config, {})
        except SettingError as exc:
            raise pytest.UsageError(f"pytest-cua: {exc}") from None
    return config.stash[SESSION_KEY]


def settings_for(item: pytest.Item) -> Settings:
    """The settings of one test: its `cua` marker over command line, ini and environment."""
    marker: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers("cua"))):
        if mark.args:
            raise CuaConfigError(
                "@pytest.mark.cua takes keyword arguments only, e.g. "
                "@pytest.mark.cua(max_steps=10)"
            )
        marker.update(mark.kwargs)
    try:
        return _resolve(item.config, marker)
    except SettingError as exc:
        raise CuaConfigError(str(exc)) from None


def _resolve(config: pytest.Config, marker: dict[str, Any]) -> Settings:
    cli = {spec.name: config.getoption(f"cua_{spec.name}") for spec in SPECS}
    ini = {spec.name: config.getini(spec.ini) for spec in SPECS}
    return resolve(cli=cli, ini=ini, env=os.environ, marker=marker, choices=registry.CHOICES)
