"""The fixtures a test asks for, layered on pytest-playwright's `page` the way its own are
on `browser`: `cua_settings` -> `cua_client` -> `cua_agent_for` -> `cua_agent`, each one
overridable in a conftest."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from .._agent.agent import AsyncCuaAgent, CuaAgent
from .._core import domains
from .._providers import registry
from .._replay import cassettes, recorder
from ..settings import RecordMode, Settings
from ..trail import Trail
from . import reports, run, stash
from .options import settings_for


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Credentials are checked when `cua_client` is set up. Put it before the browser
    # fixtures so that a missing key errors out before any page is opened.
    for item in items:
        names = getattr(item, "fixturenames", None)
        if not names or "cua_client" not in names or not (
                "cua_agent" in names or "cua_agent_for" in names):
            continue
        browser_fixtures = [n for n in ("new_context", "context", "page") if n in names]
        if not browser_fixtures:
            continue
        first = min(names.index(n) for n in browser_fixtures)
        # The fake server sets the environment the client is built from.
        for name in ("cua_client", "cua_fake_server"):
            if name in names and names.index(name) > first:
                names.remove(name)
                names.insert(first, name)


@pytest.fixture
def cua_settings(request: pytest.FixtureRequest) -> Settings:
    """Resolved pytest-cua settings for this test; override to compute them yourself."""
    settings = settings_for(request.node)
    request.node.stash[stash.SETTINGS] = settings
    return settings


@pytest.fixture(scope="session")
def cua_azure_credential() -> Any:
    """The azure-identity credential used when AZURE_OPENAI_API_KEY is not set.

    None means DefaultAzureCredential; override to use another credential.
    """
    return None


@pytest.fixture
def cua_client(request: pytest.FixtureRequest, cua_settings: Settings,
               cua_azure_credential: Any) -> Any:
    """The SDK client (one per provider configuration per worker, so connections are reused).

    With cassettes that may answer every step (cache auto or replay) it is built on first
    use, so a replayed run needs no credentials.
    """
    def build() -> Any:
        return run.client(request.config, cua_settings, cua_azure_credential)

    return _lazy_when_replaying(cua_settings, build)


@pytest.fixture
def cua_secrets() -> dict[str, str]:
    """Secrets every step may type by placeholder (`{name}`); override to supply them,
    e.g. from the environment. Values never reach the model, reports or cassettes."""
    return {}


@pytest.fixture
def cua_files() -> list[str | os.PathLike[str]]:
    """Files every step of the test may upload when the page opens a file chooser; override
    to offer some (a step adds its own with `files=`). Nothing else on disk is offered."""
    return []


@pytest.fixture
def cua_agent_for(request: pytest.FixtureRequest, cua_client: Any, cua_settings: Settings,
                  cua_secrets: dict[str, str], cua_files: list[str | os.PathLike[str]],
                  output_path: str,
                  cua_azure_credential: Any) -> Generator[AgentFactory, None, None]:
    """Make an agent for any page of the test: a sync page gets a `CuaAgent`, an async page
    an `AsyncCuaAgent` (`await agent("...")`). All agents of a test share its trail, so
    several pages (or several concurrent async agents) appear in one report."""
    factory = AgentFactory(request, cua_client, cua_settings, cua_secrets, cua_files,
                           output_path, cua_azure_credential)
    yield factory
    factory.close()


@pytest.fixture
def cua_agent(cua_agent_for: AgentFactory, page: Any) -> CuaAgent | AsyncCuaAgent:
    """A computer-use agent on pytest-playwright's `page`; one conversation per test."""
    return cua_agent_for(page)


class AgentFactory:
    """The agents of one test: they share its trail, its cassette (steps numbered across
    agents, like the trail's), its settings, secrets, files, budget and quota."""

    def __init__(self, request: pytest.FixtureRequest, client: Any, settings: Settings,
                 secrets: dict[str, str], files: list[str | os.PathLike[str]],
                 output_path: str, credential: Any) -> None:
        self.request, self.client, self.settings = request, client, settings
        self.secrets, self.files = secrets, files
        self.output_path, self.credential = output_path, credential
        self.item = item = request.node
        attempt = int(getattr(item, "execution_count", 1) or 1)  # pytest-rerunfailures
        if item.stash.get(stash.ATTEMPT, None) != attempt:  # a rerun starts afresh
            item.stash[stash.ATTEMPT] = attempt
            item.stash[stash.TRAIL] = Trail(nodeid=item.nodeid)
            if stash.TAPE in item.stash:
                del item.stash[stash.TAPE]
            item.user_properties[:] = [p for p in item.user_properties
                                       if not str(p[0]).startswith("cua_")]
        self.trail = item.stash[stash.TRAIL]
        item.stash[stash.OUTPUT] = output_path
        self.budget = run.budget(request.config)
        self.quota = run.quota_for(request.config, settings)
        self._async_clients: list[Any] = []

    def __call__(self, page: Any) -> CuaAgent | AsyncCuaAgent:
        agent: CuaAgent | AsyncCuaAgent
        config, settings = self.request.config, self.settings
        kind, client = (AsyncCuaAgent, _lazy_when_replaying(settings, self._async_client)) \
            if _is_async(page) else (CuaAgent, self.client)
        agent = kind(page, client, settings, trail=self.trail, tape=self._tape(page),
                     secrets=self.secrets, files=self.files, budget=self.budget,
                     quota=self.quota)
        size = page.viewport_size
        if size and stash.VIEWPORT not in self.item.stash:
            self.item.stash[stash.VIEWPORT] = (size["width"], size["height"])
        # Downloads an action starts are kept beside pytest-playwright's other artifacts.
        agent.computer.download_dir = Path(self.output_path)
        base_url = self.request.getfixturevalue("base_url") or None
        agent.base_url = base_url
        if settings.allowed_domains:
            own = [domains.host_rule(url) for url in (base_url or "", page.url)]
            agent.computer.allow_only(tuple(settings.allowed_domains)
                                      + tuple(r for r in own if r))
        agent.observers.extend(reports.live_reporters(config, settings))
        agent.trace_steps = config.getoption("--tracing", default="off") != "off"
        agent.replay_screenshots = reports.show_images(config, settings)
        return agent

    def _tape(self, page: Any) -> cassettes.Tape | None:
        """The test's cassette, opened for its first agent and shared by the others."""
        if self.settings.cache == RecordMode.OFF:
            return None
        tape = self.item.stash.get(stash.TAPE, None)
        if tape is None:
            viewport = page.viewport_size
            meta = cassettes.Meta(registry.model_for(self.settings, os.environ),
                                  registry.tool_for(self.settings, os.environ),
                                  (viewport["width"], viewport["height"]) if viewport else None)
            folder = self.request.config.rootpath / self.settings.cache_dir
            path = cassettes.cassette_path(folder, self.item.nodeid)
            tape = cassettes.Tape.open(self.settings.cache, path, self.item.nodeid, meta)
            self.item.stash[stash.TAPE] = tape
        return tape

    def _async_client(self) -> Any:
        """An async client per test: its connections belong to the test's event loop."""
        client = registry.build_client(self.settings, os.environ, self.credential,
                                       asynchronous=True)
        self._async_clients.append(client)
        return client

    def close(self) -> None:
        """Write the cassette, and close the async clients' connections."""
        tape = self.item.stash.get(stash.TAPE, None)
        if tape is not None:
            recorder.save(tape, self.trail, self.item.stash.get(stash.PASSED, False),
                          self.settings)
        for client in self._async_clients:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # the test's loop is gone: close them on a fresh one
                with contextlib.suppress(Exception):
                    asyncio.run(client.close())
            # else: teardown runs inside the test's loop, which closes its own connections


def _lazy_when_replaying(settings: Settings, build: Any) -> Any:
    """Cassettes that may answer every step (cache auto or replay) build the client on
    first use, so a replayed run needs no credentials."""
    return registry.LazyClient(build) if settings.cache.reads else build()


def _is_async(page: Any) -> bool:
    """An async Playwright page (its methods are coroutines) rather than a sync one."""
    return inspect.iscoroutinefunction(getattr(page, "screenshot", None))
