"""Every test in this folder starts signed in: the sign-in happens once per session.

The pytest way to sign in once: a session fixture signs in (here with plain Playwright:
it is setup, not what these tests check) and saves the browser storage state (cookies and
localStorage); an override of pytest-playwright's `browser_context_args` gives that state
to each test's new context. Under pytest-xdist each worker has its own session, so each
worker signs in once. Cassettes are unaffected: they record what the model did on a page
that was already signed in.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Browser, expect


@pytest.fixture(scope="session")
def signed_in_state(browser: Browser, base_url: str,
                    tmp_path_factory: pytest.TempPathFactory) -> str:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/signin.html")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(os.environ.get("ERRANDS_PASSWORD", "lovelace"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Welcome back, ada")).to_be_visible()
    path = tmp_path_factory.mktemp("signed-in") / "storage-state.json"
    context.storage_state(path=path)
    context.close()
    return str(path)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any],
                         signed_in_state: str) -> dict[str, Any]:
    return {**browser_context_args, "storage_state": signed_in_state}
