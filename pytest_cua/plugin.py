"""pytest-cua's pytest plugin (the `cua` entry point): the features it adds to pytest and
pytest-playwright, one module each under `_plugin`, loaded here.

Modelled on pytest_playwright: one option group, overridable fixtures layered on `page`
(`cua_settings` -> `cua_client` -> `cua_agent`), and outcomes adjusted in the report hooks.
"""

from __future__ import annotations

from typing import Any

# Each before the modules that import it, so that pytest rewrites the asserts of all.
pytest_plugins = [
    "pytest_cua._plugin.options",  # --cua-* options, ini keys, the cua marker
    "pytest_cua._plugin.compat",  # defaults for pytest-asyncio
    "pytest_cua._plugin.run",  # the run's shared folder, clients, budget and quotas
    "pytest_cua._plugin.reports",  # outcomes, properties, HTML and Allure, live lines
    "pytest_cua._plugin.fixtures",  # cua_settings, cua_client, cua_agent_for, cua_agent
    "pytest_cua._plugin.totals",  # the run's totals, trail index, summary
    "pytest_cua._plugin.yamltests",  # test_*.cua.yaml files
    "pytest_cua._plugin.export",  # --cua-export: plain pytest-playwright modules
]

# Helpers users' own hooks call, from their new homes. Looked up on use: importing the
# modules here, before pytest registers them above, would keep pytest from rewriting
# their asserts.
_MOVED = {"trail_of": "stash", "settings_for": "options"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"pytest_cua._plugin.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
