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
from pytest_cua import CuaStepFailed, Settings
from pytest_cua._providers import anthropic as claude
from pytest_cua._providers import registry
from pytest_cua.errors import CuaConfigError
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
from vendors import batches

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
    # Gemini types with type_text_at, which clicks where it types: two actions of ours.
    assert result.passed and len(result.actions) == (8 if vendor == "gemini" else 6)
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
    assert registry.resolve_provider(Settings(), env) == provider


def test_anthropic_defaults_and_tool_versions():
    settings = Settings(provider="anthropic")
    assert registry.model_for(settings, {}) == claude.DEFAULT_MODEL
    assert claude.tool_for_model("claude-sonnet-4-5") == "computer_20250124"
    assert claude.tool_for_model("claude-opus-4-6") == "computer_20251124"
    assert claude.tool_for_model("claude-opus-5-5") == "computer_toolset_20260801"
    with pytest.raises(CuaConfigError, match="not a computer tool of provider 'anthropic'"):
        registry.tool_for(Settings(provider="anthropic", tool="preview"), {})


def test_missing_anthropic_key_or_package_says_what_to_do(monkeypatch):
    settings = Settings(provider="anthropic")
    with pytest.raises(CuaConfigError, match="set ANTHROPIC_API_KEY"):
        registry.build_client(settings, {})
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if it were not installed
    with pytest.raises(CuaConfigError, match=r'pip install "pytest-cua\[anthropic\]"'):
        registry.build_client(settings, {"ANTHROPIC_API_KEY": "k"})


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


# ---------------------------------------------------------------- Gemini
def test_every_gemini_function_maps_into_our_vocabulary():
    from pytest_cua._providers.gemini import to_actions

    size = (1280, 720)
    assert to_actions("click_at", {"x": 500, "y": 500}, size) == [
        {"type": "click", "button": "left", "x": 640, "y": 360}]
    assert to_actions("hover_at", {"x": 0, "y": 999}, size) == [{"type": "move", "x": 0,
                                                                 "y": 719}]
    assert [a["type"] for a in to_actions(
        "type_text_at", {"x": 10, "y": 10, "text": "hi", "press_enter": True}, size)] == [
        "click", "keypress", "keypress", "type", "keypress"]  # cleared first by default
    assert [a["type"] for a in to_actions(
        "type_text_at", {"x": 10, "y": 10, "text": "hi", "clear_before_typing": False},
        size)] == ["click", "type"]
    assert to_actions("key_combination", {"keys": "Control+A"}, size) == [
        {"type": "keypress", "keys": ["Control", "A"]}]
    assert to_actions("scroll_document", {"direction": "down"}, size)[0]["scroll_y"] == 576
    assert to_actions("scroll_at", {"x": 500, "y": 500, "direction": "left",
                                    "magnitude": 500}, size)[0]["scroll_x"] == -640
    assert to_actions("drag_and_drop", {"x": 0, "y": 0, "destination_x": 500,
                                        "destination_y": 500}, size)[0]["path"][1] == {
        "x": 640, "y": 360}
    assert to_actions("navigate", {"url": "https://example.com"}, size) == [
        {"type": "navigate", "url": "https://example.com"}]
    assert to_actions("go_back", {}, size)[0]["button"] == "back"
    assert to_actions("go_forward", {}, size)[0]["button"] == "forward"
    assert to_actions("wait_5_seconds", {}, size) == [{"type": "wait", "ms": 5000}]
    assert to_actions("teleport", {}, size) == [{"type": "teleport"}]


GEMINI_INNER = """
import pytest
from pytest_cua import CuaSafetyCheckFailed, CuaStepFailed
from pytest_cua.testing import (center_of, click, computer_call, function_call, raw,
                                reasoning, safety_check, turn, verdict)

SITE = __import__("os").environ["SITE"]

def test_confirmation_refused_by_default(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(computer_call(click(*center_of(page, "#agree")),
        safety_checks=[safety_check("require_confirmation", "Accepting terms needs a human")])))
    with pytest.raises(CuaSafetyCheckFailed, match="Accepting terms needs a human"):
        cua_agent("Accept the terms")
    assert not page.is_checked("#agree")  # nothing was executed

@pytest.mark.cua(safety_policy="require_confirmation")
def test_confirmation_acknowledged(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(computer_call(click(*center_of(page, "#agree")),
        safety_checks=[safety_check("require_confirmation", "Accepting terms")])),
        turn(verdict(True, "accepted")))
    cua_agent("Accept the terms")
    assert page.is_checked("#agree")
    answer = cua_fake_server.requests[1].body["contents"][-1]["parts"][0]["functionResponse"]
    assert answer["response"]["safety_acknowledgement"] == "true"
    assert answer["response"]["url"].endswith("/form.html")

def test_intent_unknown_function_and_navigate(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(
        turn(raw({"functionCall": {"name": "click_at", "args": {"x": 1, "y": 1,
                                                                 "intent": "look around"}}})),
        turn(raw({"functionCall": {"name": "teleport", "args": {}}})),
        turn(computer_call({"type": "navigate", "url": SITE + "/events.html"})),
        turn(verdict(True, "there")))
    result = cua_agent("Go to the events page")
    assert page.url.endswith("/events.html")
    assert "look around" in result.turns[0].reasoning
    told = cua_fake_server.requests[2].body["contents"][-1]["parts"][0]["functionResponse"]
    assert "unknown action type 'teleport'" in told["response"]["error"]

@pytest.mark.cua(allowed_domains=["127.0.0.1"])
def test_navigate_obeys_the_allowlist(cua_fake_server, page, cua_agent):
    from pytest_cua import CuaDomainBlocked
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(computer_call({"type": "navigate",
                                               "url": "http://localhost:9/elsewhere"})))
    with pytest.raises(CuaDomainBlocked, match="localhost:9"):
        cua_agent("Go elsewhere")

def test_blocked_answer_fails_the_step(cua_fake_server, page, cua_agent):
    page.goto(SITE + "/form.html")
    cua_fake_server.script(turn(status="refusal"))
    with pytest.raises(CuaStepFailed, match="the model refused: SAFETY"):
        cua_agent("Do something")

@pytest.mark.cua(max_steps=50)
def test_forty_turns_four_images(cua_fake_server, page, cua_agent):
    from pytest_cua.testing import screenshot
    page.goto(SITE + "/form.html")
    cua_fake_server.script(*[turn(computer_call(screenshot())) for _ in range(39)],
                           turn(verdict(True, "done")))
    cua_agent.check("The form is there")
    assert max(len(r.images()) for r in cua_fake_server.requests) <= 4
    tool = cua_fake_server.requests[0].body["tools"][0]["computerUse"]
    excluded = tool.get("excludedPredefinedFunctions") or tool.get("excluded_predefined_functions")
    assert excluded == ["search", "open_web_browser"], tool
"""


def test_gemini_safety_functions_history_and_blocks(cua_pytester, monkeypatch):
    monkeypatch.setenv("CUA_PROVIDER", "gemini")
    cua_pytester.makepyfile(test_inner=GEMINI_INNER)
    result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", timeout=240)
    result.assert_outcomes(passed=6)


def test_a_cassette_recorded_on_gemini_replays_offline(cua_pytester, monkeypatch):
    cua_pytester.makepyfile(test_inner=CASSETTE_TEST)
    monkeypatch.setenv("CUA_PROVIDER", "gemini")
    for mode, scripted in (("record", "1"), ("replay", "0")):
        monkeypatch.setenv("SCRIPTED", scripted)
        result = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                                   f"--cua-cache={mode}", timeout=240)
        result.assert_outcomes(passed=1)
    (cassette,) = (cua_pytester.path / "cua_cassettes").rglob("*.yaml")
    data = yaml.safe_load(cassette.read_text())
    assert (data["model"], data["tool"]) == ("gemini-3-flash-preview", "computer_use_browser")


def test_missing_gemini_key_or_package_says_what_to_do(monkeypatch):
    settings = Settings(provider="gemini")
    with pytest.raises(CuaConfigError, match="set GEMINI_API_KEY"):
        registry.build_client(settings, {})
    assert registry.resolve_provider(Settings(), {"GEMINI_API_KEY": "k"}) == "gemini"
    assert registry.resolve_provider(Settings(), {"GOOGLE_GENAI_USE_VERTEXAI": "true"}) == \
        "gemini"
    monkeypatch.setitem(sys.modules, "google.genai", None)
    with pytest.raises(CuaConfigError, match=r'pip install "pytest-cua\[gemini\]"'):
        registry.build_client(settings, {"GEMINI_API_KEY": "k"})


@pytest.mark.parametrize("vendor", ["anthropic-20250124", "gemini"], indirect=True)
def test_a_failed_action_is_told_once_in_its_result(vendor, cua_fake_server, form, cua_agent):
    from pytest_cua.testing import keypress

    cua_fake_server.script(turn(computer_call(keypress("NOT_A_KEY"))),
                           turn(verdict(True, "gave up on that key")))
    cua_agent("Press a key that does not exist")
    told = " ".join(cua_fake_server.requests[1].texts())
    assert told.count("unknown key 'NOT_A_KEY'") == 1, told


def test_gemini_keeps_only_the_newest_screenshots_as_images():
    from pytest_cua._providers import base, gemini

    dialect = gemini.GeminiDialect("gemini-3-flash-preview", keep_images=2)
    image = {"inline_data": {"mime_type": "image/png", "data": "x"}}
    answer = {"function_response": {"name": "click_at", "response": {"url": "u"},
                                    "parts": [image]}}
    dialect._contents = [{"role": "user", "parts": [{"text": "go"}, image]},
                         {"role": "user", "parts": [answer]},
                         {"role": "user", "parts": [answer]}]
    sent = dialect._bounded()
    assert sent[0]["parts"] == [{"text": "go"}, {"text": base.OMITTED}]
    assert [c["parts"][0] for c in sent[1:]] == [answer, answer]  # the newest two, whole
    dialect.keep_images = 1
    older = dialect._bounded()[1]["parts"][0]["function_response"]
    assert older == {"name": "click_at", "response": {"url": "u"}}  # its screenshot left out
    assert dialect._contents[1]["parts"][0] == answer  # the history itself stays whole
