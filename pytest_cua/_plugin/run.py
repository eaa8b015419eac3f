"""What the whole run shares, workers included: a folder for the budgets and the
providers' quota state, the SDK clients of each worker, and closing them at the end.

Under xdist the controller makes the folder and hands it to each worker
(`pytest_configure_node`), so every process paces against the same quota.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from .._providers import registry
from .._run import redis_store
from .._run.budget import Budget
from .._run.quota import Quota
from .._run.store import Store
from ..settings import Settings
from .options import session_settings

FOLDER_KEY = pytest.StashKey[Path]()  # the run's shared folder (budgets, quotas)
BUDGET_KEY = pytest.StashKey[Budget]()
QUOTAS_KEY = pytest.StashKey[dict]()
CLIENTS_KEY = pytest.StashKey[dict]()


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:  # the xdist controller or a plain run owns the folder
        config.stash[FOLDER_KEY] = Path(tempfile.mkdtemp(prefix="pytest-cua-run-"))
    else:
        config.stash[FOLDER_KEY] = Path(workerinput["cua_run"])
    config.stash[CLIENTS_KEY] = {}
    config.stash[QUOTAS_KEY] = {}
    settings = session_settings(config)
    if settings.quota_store and workerinput is None:  # checked once, where the run starts
        try:
            redis_store.check(settings.quota_store)
        except (ValueError, ImportError) as exc:
            raise pytest.UsageError(str(exc)) from None
    if settings.max_turns_total or settings.max_cost:
        config.stash[BUDGET_KEY] = Budget(config.stash[FOLDER_KEY] / "budget.json",
                                          settings.max_turns_total, settings.max_cost)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker shares the controller's budgets and quota state."""
    node.workerinput["cua_run"] = str(node.config.stash[FOLDER_KEY])


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(FOLDER_KEY, None)
    if folder is not None and not hasattr(config, "workerinput"):
        shutil.rmtree(folder, ignore_errors=True)
    for client in config.stash.get(CLIENTS_KEY, {}).values():
        close = getattr(client, "close", None)
        if close is not None:
            close()


def folder(config: pytest.Config) -> Path | None:
    return config.stash.get(FOLDER_KEY, None)


def budget(config: pytest.Config) -> Budget | None:
    """The run's model-turn and cost budget, when one is set."""
    return config.stash.get(BUDGET_KEY, None)


def client(config: pytest.Config, settings: Settings, credential: Any) -> Any:
    """The sync SDK client of a provider configuration, one per worker, so connections
    are reused from test to test."""
    clients = config.stash[CLIENTS_KEY]
    key = (*registry.client_key(settings, os.environ), id(credential))
    if key not in clients:
        clients[key] = registry.build_client(settings, os.environ, credential)
    return clients[key]


def quota_for(config: pytest.Config, settings: Settings) -> Quota:
    """The quota of the test's provider configuration (service, endpoint, key, model: what
    a service counts a quota for), its state shared by every worker of the run."""
    key = registry.quota_key(settings, os.environ)
    quotas = config.stash[QUOTAS_KEY]
    if key not in quotas:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        folder = config.stash[FOLDER_KEY]
        path = folder / f"quota-{digest}.json"
        shared = None
        if settings.quota_store:  # every runner's workers, through Redis
            shared = redis_store.RedisStore(settings.quota_store, digest, Store(path), folder)
            (folder / f"quota-{digest}.redis").write_text(settings.quota_store)
        quotas[key] = Quota(path, requests_per_minute=settings.requests_per_minute,
                            tokens_per_minute=settings.tokens_per_minute, shared=shared)
    return quotas[key]


def shared_quotas(config: pytest.Config) -> dict[str, dict[str, Any]]:
    """The states of the run's quotas kept on Redis, by name (for the summary)."""
    folder = config.stash.get(FOLDER_KEY, None)
    found: dict[str, dict[str, Any]] = {}
    for marker in sorted(folder.glob("quota-*.redis")) if folder else ():
        name = marker.stem.removeprefix("quota-")
        with contextlib.suppress(Exception):
            found[name] = redis_store.RedisStore(
                marker.read_text(), name, Store(None)).state()
    return found
