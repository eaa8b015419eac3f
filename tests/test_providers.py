"""OpenAI and Azure OpenAI clients, built from the environment, against the fake server."""

from __future__ import annotations

import time

import pytest
from azure.core.credentials import AccessToken
from playwright.sync_api import expect

from pytest_cua._providers import registry
from pytest_cua.errors import CuaConfigError
from pytest_cua.settings import resolve
from pytest_cua.testing import center_of, click, computer_call, turn, type_text, verdict


class FakeCredential:
    """Stands in for DefaultAzureCredential: hands out a bearer token, records the scopes."""

    def __init__(self) -> None:
        self.scopes: list[tuple] = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken("entra-token-123", int(time.time()) + 3600)


@pytest.fixture
def azure_key_env(cua_fake_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", cua_fake_server.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-abc")
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")


@pytest.fixture
def azure_entra_env(cua_fake_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", cua_fake_server.url + "/")


@pytest.fixture(scope="session")
def cua_azure_credential():
    return FakeCredential()


def _fill_name(server, page):
    server.script(turn(computer_call(click(*center_of(page, "#name")))),
                  turn(computer_call(type_text("Azure user"))),
                  turn(verdict(True, "typed")))


@pytest.mark.cua(model="my-cua-deployment", tool="preview")
def test_azure_with_api_key(azure_key_env, cua_fake_server, page, site, cua_agent):
    page.goto(f"{site}/form.html")
    _fill_name(cua_fake_server, page)
    cua_agent("Type 'Azure user' into the name field")
    expect(page.locator("#name")).to_have_value("Azure user")
    for request in cua_fake_server.requests:
        assert request.path == "/openai/responses"
        assert request.query == {"api-version": ["2025-04-01-preview"]}
        assert request.headers["api-key"] == "azure-key-abc"
        assert "authorization" not in request.headers
        assert request.body["model"] == "my-cua-deployment"


@pytest.mark.cua(model="my-cua-deployment", tool="preview")
def test_azure_with_entra_token_provider(azure_entra_env, cua_fake_server, page, site,
                                         cua_agent, cua_azure_credential):
    page.goto(f"{site}/form.html")
    _fill_name(cua_fake_server, page)
    cua_agent("Type 'Azure user' into the name field")
    expect(page.locator("#name")).to_have_value("Azure user")
    assert cua_azure_credential.scopes[0] == (registry.AZURE_SCOPE,)
    for request in cua_fake_server.requests:
        assert request.path == "/openai/responses"
        assert request.query["api-version"] == [registry.DEFAULT_AZURE_API_VERSION]
        assert request.headers["authorization"] == "Bearer entra-token-123"
        assert "api-key" not in request.headers


@pytest.fixture
def azure_v1_env(azure_key_env, cua_fake_server, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", cua_fake_server.url + "/openai/v1")
    monkeypatch.delenv("OPENAI_API_VERSION")


@pytest.mark.cua(model="gpt-5.4")
def test_azure_v1_surface(azure_v1_env, cua_fake_server, page, site, cua_agent):
    page.goto(f"{site}/form.html")
    _fill_name(cua_fake_server, page)
    cua_agent("Type 'Azure user' into the name field")
    request = cua_fake_server.requests[0]
    assert request.path == "/openai/v1/responses"
    assert request.headers["api-key"] == "azure-key-abc"
    assert request.body["tools"][0] == {"type": "computer"}


def test_openai_client_reads_sdk_variables():
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    client = registry.build_client(resolve(env=env), env)
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    assert client.timeout == 120.0


@pytest.mark.parametrize(("env", "needle"), [
    ({}, "OPENAI_API_KEY"),
    ({"CUA_PROVIDER": "azure"}, "AZURE_OPENAI_ENDPOINT"),
])
def test_missing_credentials_name_the_variables(env, needle):
    with pytest.raises(CuaConfigError, match=needle):
        registry.build_client(resolve(env=env), env)


def test_auto_provider_prefers_azure_when_its_endpoint_is_set():
    assert registry.resolve_provider(resolve(), {"AZURE_OPENAI_ENDPOINT": "https://x"}) == "azure"
    assert registry.resolve_provider(resolve(), {"OPENAI_API_KEY": "k"}) == "openai"


def test_record_modes_and_kinds_are_enums_equal_to_their_strings():
    import dataclasses

    import yaml

    from pytest_cua import CuaProviderError, FaultKind, RecordMode, Settings
    from pytest_cua._replay.cassettes import _Dumper

    resolved = resolve(cli={"cache": "Replay"}, ini={}, env={})
    assert resolved.cache is RecordMode.REPLAY and resolved.cache == "replay"
    assert resolved.cache.reads and not resolved.cache.writes
    # a conftest may still give a string, as the example suite does
    changed = dataclasses.replace(Settings(), cache="auto")
    assert changed.cache is RecordMode.AUTO and changed.cache.reads and changed.cache.writes
    with pytest.raises(ValueError, match=r"Settings\.cache: expected one of off, record, auto"):
        Settings(cache="sometimes")
    error = CuaProviderError("429", kind="rate")
    assert error.kind is FaultKind.RATE and f"{error.kind}" == "rate"
    # cassettes hold the plain strings
    assert yaml.dump({"mode": RecordMode.AUTO}, Dumper=_Dumper).strip() == "{mode: auto}"
