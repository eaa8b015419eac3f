"""The provider seam: one scenario on every vendor dialect, and what only Claude has.

The shared scenarios (the sign-up flow here; every action, scaling and the outcomes in
their own files) take the `vendor` fixture and run once per dialect and tool version: the
script is written once in our action vocabulary and the fake server renders it in the
vendor's wire format, validated against that vendor's SDK types.
"""

from __future__ import annotations

import sys

import pytest
import yaml
from playwright.sync_api import expect

from inner import SCRIPTED_MODEL_FIXTURE
from pytest_cua import CuaStepFailed, Settings, providers
from pytest_cua.errors import CuaConfigError
from pytest_cua.providers import anthropic as claude
from pytest_cua.testing import (
    center_of,
    click,
    computer_call,
    decode_image,
    message,
    screenshot,
    turn,
    type_text,
    verdict,
)
from vendors import WITHOUT_GEMINI, batches

ANTHROPIC = ["anthropic-20250124", "anthropic-20251124", "anthropic-toolset"]


@pytest.fixture
def form(page, site):
    page.goto(f"{site}/form.html")
    return page


def test_multi_step_flow_on_every_dialect(vendor, cua_fake_server, form, cua_agent):
    name, email = center_of(form, "#name"), center_of(form, "#email")
    agree, submit = center_of(form, "#agree"), center_of(form, "#submit")
    actions = [click(*name), type_text("Ada Lovelace"), click(*email),
               type_text("ada@example.com"), click(*agree), click(*submit)]
    if batches(vendor):
        cua_fake_server.script(turn(computer_call(*actions)), turn(verdict(True, "welcome")))
    else:
        cua_fake_server.script(*[turn(computer_call(a)) for a in actions],
                               turn(verdict(True, "welcome")))
    result = cua_agent("Sign up as Ada Lovelace, ada@example.com, accepting the terms")

    expect(form.locator("#result")).to_have_text("Welcome, Ada Lovelace <ada@example.com>!")
    assert result.passed and len(result.actions) == 6
    last = cua_fake_server.requests[-1]
    assert decode_image(last.images()[-1]) == ("png", (1280, 720))
    if vendor.startswith("anthropic"):
        # Claude answers each tool_use separately: a batch is six calls in one message.
        assert last.body["messages"][-1]["content"][0]["type"] == "tool_result"
        assert last.headers.get("anthropic-beta", "") == claude.BETAS.get(
            cua_agent.dialect.tool, "")


@pytest.mark.parametrize("vendor", ANTHROPIC, indirect=True)
def test_claude_only_actions(vendor, cua_fake_server, page, site, cua_agent):
    page.goto(f"{site}/events.html")
    text = center_of(page, "#text")
    cua_fake_server.script(
        turn(computer_call({"type": "triple_click", "x": text[0], "y": text[1]})),
        turn(computer_call(type_text("one two"), {"type": "hold_key", "keys": ["SHIFT"],
                                                  "ms": 50})),
        turn(computer_call({"type": "mouse_down", "x": 100, "y": 100},
                           {"type": "mouse_up", "x": 200, "y": 150})),
        turn(computer_call({"type": "cursor_position"},
                           {"type": "zoom", "region": [0, 0, 320, 200]})),
        turn(verdict(True, "done")))
    page.evaluate("window.events = []")
    result = cua_agent("Try every action")
    assert result.passed, result.reason
    assert page.locator("#text").input_value() == "one two"
    events = page.evaluate("window.events")
    down = [e for e in events if e["type"] == "mousedown"][-1]
    up = [e for e in events if e["type"] == "mouseup"][-1]
    assert (down["x"], down["y"], up["x"], up["y"]) == (100, 100, 200, 150)
    assert any(e["type"] == "keydown" and e["key"] == "Shift" for e in events)
    last = cua_fake_server.requests[-1].body["messages"][-1]["content"]
    cursor, zoom = last[0], last[1]
    assert "X=200,Y=150" in [c.get("text") for c in cursor["content"]]
    zoomed = next(c for c in zoom["content"] if c["type"] == "image")
    import base64
    import io

    from PIL import Image
    with Image.open(io.BytesIO(base64.b64decode(zoomed["source"]["data"]))) as img:
        assert img.size == (320, 200)  # the region, at full resolution


@pytest.mark.parametrize("vendor", ["anthropic-20250124", "anthropic-toolset"], indirect=True)
@pytest.mark.cua(max_steps=50)
def test_forty_turns_never_send_more_than_four_images(vendor, cua_fake_server, form,
                                                      cua_agent):
    cua_fake_server.script(*[turn(computer_call(screenshot())) for _ in range(39)],
                           turn(verdict(True, "looked long enough")))
    result = cua_agent.check("The form is still there")
    assert result.passed and len(result.turns) == 40
    counts = [len(r.images()) for r in cua_fake_server.requests]
    assert max(counts) <= 4 and counts[-1] == claude.KEEP_IMAGES
    omitted = str(cua_fake_server.requests[-1].body["messages"]).count(claude.OMITTED)
    assert omitted == 40 - claude.KEEP_IMAGES
    # The newest message carries the cache breakpoint; the reports show what it saved.
    newest = cua_fake_server.requests[-1].body["messages"][-1]["content"][-1]
    assert newest["cache_control"] == {"type": "ephemeral"}
    assert sum(t.cached_tokens for t in result.turns) > 0


@pytest.mark.parametrize("vendor", ["anthropic-20251124"], indirect=True)
def test_refusal_fails_the_step_and_pause_turn_goes_on(vendor, cua_fake_server, form,
                                                       cua_agent):
    cua_fake_server.script(turn(message("Working on it"), status="pause_turn"),
                           turn(verdict(True, "seen")),
                           turn(message("I can't help with that."), status="refusal"))
    assert cua_agent.check("There is a form").passed
    paused = cua_fake_server.requests[1].body["messages"]
    assert paused[-1]["role"] == "assistant"  # sent back as is: the service goes on
    with pytest.raises(CuaStepFailed, match="the model refused: I can't help with that"):
        cua_agent("Do something the model will not do")


@pytest.mark.parametrize("vendor", ["anthropic-toolset"], indirect=True)
def test_claude_outage_is_a_provider_error_with_the_request_id(vendor, cua_fake_server, form,
                                                              cua_agent):
    from pytest_cua import CuaProviderError
    from pytest_cua.testing import fault

    cua_fake_server.script(fault(529), fault(529), fault(529))
    with pytest.raises(CuaProviderError) as failed:
        cua_agent("Look")
    text = str(failed.value)
    assert "HTTP 529 (overloaded) (request id req_fake_" in text
    assert "it still failed after 2 retries" in text
    assert failed.value.status == 529 and failed.value.request_id.startswith("req_fake_")


# ---------------------------------------------------------------- choosing the provider
@pytest.mark.parametrize(("env", "provider"), [
    ({"OPENAI_API_KEY": "k"}, "openai"),
    ({"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"}, "azure"),
    ({"ANTHROPIC_API_KEY": "k"}, "anthropic"),
    ({"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}, "openai"),
    ({}, "openai"),
])
def test_auto_picks_the_provider_from_the_credentials(env, provider):
    assert providers.resolve_provider(Settings(), env) == provider


def test_anthropic_defaults_and_tool_versions():
    settings = Settings(provider="anthropic")
    assert providers.model_for(settings, {}) == claude.DEFAULT_MODEL
    assert claude.tool_for_model("claude-sonnet-4-5") == "computer_20250124"
    assert claude.tool_for_model("claude-opus-4-6") == "computer_20251124"
    assert claude.tool_for_model("claude-opus-5-5") == "computer_toolset_20260801"
    with pytest.raises(CuaConfigError, match="not a computer tool of provider 'anthropic'"):
        providers.tool_for(Settings(provider="anthropic", tool="preview"), {})


def test_missing_anthropic_key_or_package_says_what_to_do(monkeypatch):
    settings = Settings(provider="anthropic")
    with pytest.raises(CuaConfigError, match="set ANTHROPIC_API_KEY"):
        providers.build_client(settings, {})
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if it were not installed
    with pytest.raises(CuaConfigError, match=r'pip install "pytest-cua\[anthropic\]"'):
        providers.build_client(settings, {"ANTHROPIC_API_KEY": "k"})


def test_xdotool_keys_and_a_click_at_the_cursor():
    assert claude.xdotool_keys("ctrl+shift+t") == ["ctrl", "shift", "t"]
    assert claude.xdotool_keys("ctrl++") == ["ctrl", "+"]
    assert claude.to_action("left_click", {}, (40, 50)) == {"type": "click", "button": "left",
                                                             "x": 40, "y": 50}
    assert claude.to_action("scroll", {"coordinate": [1, 2], "scroll_direction": "up",
                                       "scroll_amount": 2, "text": "shift"}, None) == {
        "type": "scroll", "x": 1, "y": 2, "scroll_x": 0, "scroll_y": -200, "keys": ["shift"]}
    assert claude.to_action("teleport", {"coordinate": [1, 2]}, None)["type"] == "teleport"


# ---------------------------------------------------------------- cassettes per provider
CASSETTE_TEST = SCRIPTED_MODEL_FIXTURE + """
import os
import pytest
from pytest_cua.testing import center_of, click, computer_call, turn, type_text, verdict


def test_name(model, page, cua_agent):
    page.goto(os.environ["SITE"] + "/form.html")
    if model is not None:
        model.script(turn(computer_call(click(*center_of(page, "#name")))),
                     turn(computer_call(type_text("Ada"))), turn(verdict(True, "typed")))
    cua_agent("Type Ada as the name")
    assert page.locator("#name").input_value() == "Ada"
"""


def test_a_cassette_recorded_on_claude_replays_offline_and_only_there(cua_pytester,
                                                                     monkeypatch):
    cua_pytester.makepyfile(test_inner=CASSETTE_TEST)

    def run(mode: str, scripted: bool, provider: str):
        monkeypatch.setenv("SCRIPTED", "1" if scripted else "0")
        monkeypatch.setenv("CUA_PROVIDER", provider)
        return cua_pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                                 f"--cua-cache={mode}", timeout=240)

    run("record", True, "anthropic").assert_outcomes(passed=1)
    (cassette,) = (cua_pytester.path / "cua_cassettes").rglob("*.yaml")
    data = yaml.safe_load(cassette.read_text())
    assert (data["model"], data["tool"]) == (claude.DEFAULT_MODEL, "computer_20251124")
    run("replay", False, "anthropic").assert_outcomes(passed=1)  # no server, no key
    other = run("replay", False, "openai")
    other.assert_outcomes(errors=1)
    other.stdout.fnmatch_lines(["*CuaCassetteError*model 'claude-sonnet-4-6' (recorded) vs "
                                "'gpt-5.4' (now)*"])
