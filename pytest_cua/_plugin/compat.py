"""Living beside other plugins: the defaults pytest-cua gives them when the user gave none."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import pytest

ASYNCIO_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Give pytest-asyncio the fixture loop scope it asks for, when the user gave none.

    pytest-asyncio 1.5 warns in every run where `asyncio_default_fixture_loop_scope` is
    unset, and `pytest-cua[async]` is what brings it into a project that may have no async
    fixture at all. "fixture-scope" is the value that keeps pytest-asyncio's behaviour
    exactly as it is when unset; a value in the user's ini (or `-o`) always wins. This runs
    before pytest-asyncio's own `pytest_configure`, which reads the value and warns.
    """
    if not config.pluginmanager.has_plugin("asyncio") or config.getini(ASYNCIO_LOOP_SCOPE):
        return
    try:
        release = tuple(int(p) for p in version("pytest-asyncio").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return
    if release >= (1, 5):  # where "fixture-scope" is a valid value
        # pytest has no public setter for an ini value; its cache is what getini reads.
        config._inicache[ASYNCIO_LOOP_SCOPE] = "fixture-scope"
