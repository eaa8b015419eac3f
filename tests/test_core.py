"""The pure layers, with plain data: settings, safety, key mapping, scaling, the loop core."""

from __future__ import annotations

import json

import pytest

from pytest_cua._browser import screenshots
from pytest_cua._core import actions, conversation, events, safety
from pytest_cua._providers import registry
from pytest_cua._providers import responses as protocol
from pytest_cua._providers.openai import ResponsesDialect
from pytest_cua._replay import likeness, oracle, reasons
from pytest_cua._replay.likeness import Likeness
from pytest_cua.errors import CuaProviderError
from pytest_cua.settings import SettingError, resolve


# ------------------------------------------------------------------------------ settings
def test_precedence_marker_cli_ini_env_default():
    env = {"CUA_MAX_STEPS": "5", "CUA_MODEL": "env", "CUA_TIMEOUT": "9"}
    ini = {"model": "ini", "max_steps": "6"}
    cli = {"model": "cli"}
    s = resolve(cli=cli, ini=ini, env=env, marker={"model": "marker"})
    assert (s.model, s.max_steps, s.timeout, s.cache) == ("marker", 6, 9.0, "off")
    assert s.sources == {"model": "@pytest.mark.cua", "max_steps": "ini",
                         "timeout": "environment"}
    assert resolve(cli=cli, ini=ini, env=env).model == "cli"
    assert resolve(ini=ini, env=env).model == "ini"
    assert resolve(env=env).model == "env"
    assert resolve().model == "gpt-5.4"


def test_tool_variant_by_model_name():
    def tool(**marker):
        return registry.tool_for(resolve(marker=marker), {})

    assert tool() == "ga"
    assert tool(model="computer-use-preview") == "preview"
    assert tool(model="gpt-5.4") == "ga"
    assert tool(model="gpt-5.4", tool="preview") == "preview"


@pytest.mark.parametrize(("source", "value"), [
    ({"marker": {"max_steps": -1}}, "max_steps"),
    ({"env": {"CUA_CACHE": "sometimes"}}, "CUA_CACHE"),
    ({"ini": {"safety_policy": "yes please"}}, "cua_safety_policy"),
    ({"cli": {"timeout": "0"}}, "--cua-timeout"),
])
def test_bad_values_name_their_source(source, value):
    with pytest.raises(SettingError, match=value):
        resolve(**source)


def test_allowed_domains_and_policy_lists():
    s = resolve(env={"CUA_ALLOWED_DOMAINS": "example.com, *.test.local:8080"},
                marker={"safety_policy": "irrelevant_domain, sensitive_domain"})
    assert s.allowed_domains == ("example.com", "*.test.local:8080")
    assert s.safety_policy == "irrelevant_domain,sensitive_domain"


def test_replay_settings():
    s = resolve(cli={"volatile": ["#clock", ".ad, .banner"]}, env={"CUA_REPLAY_TIMEOUT": "2.5"})
    assert s.volatile == ("#clock", ".ad, .banner") and s.replay_timeout == 2.5
    assert resolve(env={"CUA_VOLATILE": "#a; #b"}).volatile == ("#a", "#b")
    assert resolve(ini={"volatile": ["#a", "#b"]}).volatile == ("#a", "#b")
    assert resolve(marker={"volatile": "#one"}).volatile == ("#one",)
    assert resolve().replay_timeout == 5.0
    with pytest.raises(SettingError, match=r"CUA_REPLAY_TIMEOUT \(environment\)"):
        resolve(env={"CUA_REPLAY_TIMEOUT": "soon"})


# ------------------------------------------------------------------------------ replay
def test_a_change_is_what_appeared_and_what_went_away_in_any_order():
    change = Likeness().change
    before = ["Tasks", "0 tasks left", "[input New task: \"\"]"]
    after = ["Tasks", "buy milk", "1 task left", "[input New task: \"\"]"]
    assert change(before, after) == {"appeared": ["buy milk", "1 task left"],
                                     "disappeared": ["0 tasks left"]}
    assert change(before, list(reversed(before))) == {"appeared": [], "disappeared": []}
    twice = change(["a"], ["a", "a"])  # lines are counted: a second "a" appeared
    assert twice == {"appeared": ["a"], "disappeared": []}


def test_change_reasons_say_what_a_person_notices_first():
    recorded = {"appeared": ["buy milk", "1 task left"],
                "disappeared": ["0 tasks left", "Last synced Nov 24"]}
    now = {"appeared": ["1 task left", "Error"], "disappeared": []}
    shown = ["Tasks", "0 tasks left", "1 task left", "Error"]
    assert reasons.change_reason(recorded, now, shown, Likeness()) == [
        '"buy milk" did not appear',
        '"0 tasks left" is still shown',
        '"Error" appeared, which it did not when recorded',
        # not on the page now: never "still there"
        '"Last synced Nov 24" was expected to go away but not on the page to begin with']
    assert reasons.change_reason(recorded, recorded, shown, Likeness()) == []


def test_reasons_name_elements_and_say_a_look_only_where_it_is_the_difference():
    struck = "pay rent {struck; color rgb(136, 136, 136); border b 1px rgb(221, 221, 221)}"
    plain = "pay rent {color rgb(136, 136, 136); border b 1px rgb(221, 221, 221)}"
    box = "[checkbox done: checked] {border b 1px rgb(221, 221, 221)}"
    assert reasons.change_reason({"appeared": [], "disappeared": [struck, box, "\u00d7 {bold}"]},
                                 {"appeared": [], "disappeared": []},
                                 [struck, box, "\u00d7 {bold}"], Likeness()) == [
        '"pay rent", checkbox "done" (checked) and "\u00d7" are still shown']
    assert reasons.change_reason({"appeared": [struck], "disappeared": []},
                                 {"appeared": [plain], "disappeared": []}, [plain],
                                 Likeness()) == ['"pay rent" looks different: no longer struck']
    frame = '[frame "Shop" (/shop.html)] '
    assert reasons.evidence_reason(
        [frame + "[checkbox Gift: checked]", "[address /cart]", "Total {bold}"],
        [frame + "[checkbox Gift: not checked]", "[address /cart#paid]", "Total {bold}",
         "Error {color rgb(176, 0, 32)}"], Likeness()) == [
        'checkbox "Gift" in frame "Shop" (/shop.html) is not checked (recorded: checked)',
        "the address is /cart#paid (recorded: /cart)",
        '"Error" is shown, which was not when recorded']
    many = reasons.evidence_reason([str(n) for n in range(9)], [], Likeness())
    assert many == ['"0", "1", "2", "3" and 5 more are no longer shown']


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Save {color rgb(3, 132, 199)}", "Save {color rgb(2, 132, 199)}", True),  # mid-transition
    ("Email {border 1px rgb(222, 226, 230)}", "Email {border 1px rgb(220, 53, 69)}", False),
    ("x {background rgba(0, 0, 0, 0.5)}", "x {background rgba(0, 0, 0, 0.502)}", True),
    ("x {background rgba(0, 0, 0, 0.5)}", "x {background rgba(0, 0, 0, 0.6)}", False),
    ("x {color oklch(0.6 0.2 250)}", "x {color oklch(0.601 0.2 250)}", True),
    ("x {color rgb(0, 0, 0)}", "y {color rgb(0, 0, 0)}", False),
])
def test_colours_are_compared_as_a_person_sees_them(a, b, same):
    assert Likeness().same(a, b) is same


@pytest.mark.parametrize(("line", "kinds"), [
    ("Last synced Dec 3, 2026, 10:14 AM · updated 7 minutes ago",
     "Last synced {date}, {time} · updated {relative time}"),
    ("date: Fri, 04 Dec 2026 18:33:46 GMT", "date: {date}"),
    ("24 Nov 2026 · 12 days ago", "{date} · {relative time}"),
    ("created 2026-12-04T10:00:00Z, due in 2 days", "created {date}, due {relative time}"),
    ("Updated 4:26:53 PM", "Updated {time}"),
    ("Dec. 4, 2026, 7 p.m. or noon", "{date}, {time} or {time}"),  # Django's own format
    ("elapsed 00:05:32, took 1h 20m", "elapsed {time}, took {duration}"),
    ("Due 12/24/2026 (just now)", "Due {date} ({relative time})"),
    ("3 tasks left", "3 tasks left"),  # counts, versions, money stay values
    ("Version 1.2.3 costs 12.50 EUR", "Version 1.2.3 costs 12.50 EUR"),
])
def test_dates_and_times_are_recognised_by_kind(line, kinds):
    assert likeness.dynamic(line) == kinds


def test_dates_compare_by_kind_unless_the_step_names_them():
    assert Likeness().same("Last synced Dec 3, 2026", "Last synced Dec 4, 2026")
    assert not Likeness("exact").same("Last synced Dec 3, 2026", "Last synced Dec 4, 2026")
    named = Likeness().for_step("Set the due date to 2026-12-24")
    assert not named.same("Due 2026-12-24", "Due 2026-12-25")
    assert named.same("Created 2026-12-01", "Created 2026-12-02")  # a date it does not name
    assert not Likeness().same("Due 2026-12-24", "Due soon")  # a date is not any text


def test_volatile_elements_leave_a_reading_with_all_they_hold():
    reading = oracle.Reading(["[address /]", "12:00:01", "Tip 1", "Tasks"],
                             ["address", "/body/span[1]", "/body/p[1]/b[1]", "/body/h1[1]"])
    assert reading.shown(["/body/p[1]"]) == ["[address /]", "12:00:01", "Tasks"]
    reading.volatile = {"/body/span[1]": {"selector": "#clock", "changes": 3}}  # seen in it
    assert reading.shown() == ["[address /]", "Tip 1", "Tasks"]
    # /body/p[1] is not an ancestor of /body/p[10], though its path is a prefix of it
    assert oracle.Reading(["x"], ["/body/p[10]"]).shown(["/body/p[1]"]) == ["x"]


@pytest.mark.parametrize(("url", "address"), [
    ("http://127.0.0.1:8123/app.html?filter=open#about", "/app.html?filter=open#about"),
    ("http://127.0.0.1:1/embed.html?embed=http://localhost:4567",
     "/embed.html?embed=http://localhost"),
    ("http://h:1/e?u=http%3A%2F%2Flocalhost%3A4000%2Fx", "/e?u=http%3A%2F%2Flocalhost%2Fx"),
    ("file:///home/ci/work/errands.html", "file errands.html"),
    ("about:blank", "about:blank"),
])
def test_an_address_is_the_same_on_every_machine(url, address):
    assert oracle.address(url) == address


@pytest.mark.parametrize(("url", "address"), [
    ("https://preview.example.com/pr-42/app/settings?tab=2", "/settings?tab=2"),
    ("https://preview.example.com/pr-42/app", "/"),
    ("https://preview.example.com/pr-42/app#top", "/#top"),
    ("https://preview.example.com/pr-42/application", "/pr-42/application"),  # not under it
])
def test_addresses_are_relative_to_the_base_url(url, address):
    assert oracle.address(url, "https://preview.example.com/pr-42/app/") == address


# ------------------------------------------------------------------------------ safety
def test_safety_decisions():
    checks = [{"id": "1", "code": "a", "message": "m"}, {"id": "2", "code": "b", "message": "n"}]
    assert safety.decide("fail", checks).refused == checks
    assert safety.decide("acknowledge", checks).acknowledged == checks
    mixed = safety.decide("a", checks)
    assert (mixed.acknowledged, mixed.refused) == ([checks[0]], [checks[1]])
    assert safety.decide("fail", []).allowed


# ------------------------------------------------------------------------------ executor
@pytest.mark.parametrize(("name", "expected"), [
    ("ENTER", "Enter"), ("Return", "Enter"), ("ESC", "Escape"), ("CTRL", "Control"),
    ("CMD", "Meta"), ("SUPER", "Meta"), ("OPTION", "Alt"), ("SPACE", " "),
    ("ARROWLEFT", "ArrowLeft"), ("PAGE_DOWN", "PageDown"), ("F5", "F5"), ("A", "a"),
    ("/", "/"), ("BACKSPACE", "Backspace"), ("DELETE", "Delete"), ("TAB", "Tab"),
])
def test_key_mapping(name, expected):
    assert actions.map_key(name) == expected


def test_unknown_key_is_an_action_error():
    with pytest.raises(actions.ActionError, match="unknown key 'HYPER'"):
        actions.map_key("HYPER")


def test_scaling_maps_back_and_clamps():
    scale = actions.Scale(1440, 810, 1920, 1080)
    assert scale.to_page(720, 405) == (960.0, 540.0)
    assert scale.to_page(99999, -5) == (pytest.approx(1918.67, abs=0.01), 0.0)
    with pytest.raises(actions.ActionError, match="coordinate x must be a number"):
        scale.to_page("12", 3)
    assert screenshots.fit(1920, 1080, (1440, 900)) == (1440, 810)
    assert screenshots.fit(1280, 720, (1440, 900)) == (1280, 720)
    assert screenshots.fit(1000, 2000, (1440, 900)) == (450, 900)


def test_plan_keeps_modifiers_around_the_click_and_refuses_in_checks():
    ops = actions.plan({"type": "click", "x": 1, "y": 2, "button": "right", "keys": ["SHIFT"]},
                        actions.Scale(10, 10, 10, 10))
    assert [(o.target, o.method, o.args) for o in ops] == [
        ("keyboard", "down", ("Shift",)), ("mouse", "click", (1.0, 2.0)),
        ("keyboard", "up", ("Shift",))]
    assert ops[1].kwargs == {"button": "right"}
    with pytest.raises(actions.ActionError, match="refused"):
        actions.plan({"type": "type", "text": "x"}, actions.Scale(1, 1, 1, 1), read_only=True)


# ------------------------------------------------------------------------------ loop core
IMAGE = events.Image("data:image/png;base64,AAAA", 800, 600)


def response(*items, rid="resp_1"):
    return {"id": rid, "status": "completed", "output": list(items),
            "usage": {"input_tokens": 10, "output_tokens": 2}}


def call(call_id, *actions, checks=()):
    item = {"type": "computer_call", "id": "cu", "call_id": call_id,
            "pending_safety_checks": list(checks), "status": "completed"}
    if len(actions) == 1:
        item["action"] = actions[0]
    else:
        item["actions"] = list(actions)
    return item


def fcall(call_id, name, **args):
    return {"type": "function_call", "call_id": call_id, "name": name,
            "arguments": json.dumps(args)}


def test_loop_answers_every_call_and_chains_steps():
    conv = conversation.Conversation(ResponsesDialect("m", "preview"))
    first = conv.begin("act", "do it", IMAGE)
    assert first.request["truncation"] == "auto"
    assert first.request["tools"][0]["display_width"] == 800
    decision = conv.receive(response(call("c1", {"type": "click", "x": 1, "y": 1})))
    assert isinstance(decision, events.Execute) and decision.call_id == "c1"
    decision = conv.executed(IMAGE)
    assert isinstance(decision, events.Send)
    assert decision.request["previous_response_id"] == "resp_1"
    assert decision.request["input"][0]["call_id"] == "c1"
    done = conv.receive(response(fcall("f1", "cua_verdict", passed=True, reason="ok"), rid="r2"))
    assert isinstance(done, events.Finish) and done.passed and done.reason == "ok"
    nxt = conv.begin("check", "is it", IMAGE)
    assert nxt.request["input"][0] == {"type": "function_call_output", "call_id": "f1",
                                       "output": "recorded"}
    assert nxt.request["previous_response_id"] == "r2"


def test_loop_refuses_unsafe_calls_before_any_execution():
    conv = conversation.Conversation(ResponsesDialect("m", "ga"))
    conv.begin("act", "x", IMAGE)
    check = {"id": "s", "code": "malicious_instructions", "message": "no"}
    decision = conv.receive(response(call("c1", {"type": "click", "x": 1, "y": 1},
                                          {"type": "type", "text": "a"}, checks=[check])))
    assert isinstance(decision, events.Finish) and decision.outcome == "safety"
    assert decision.refused_checks == [check]
    # The next step starts a fresh chain, since c1 can never be answered.
    assert "previous_response_id" not in conv.begin("act", "y", IMAGE).request


def test_loop_nudges_once_then_fails_and_counts_turns():
    conv = conversation.Conversation(ResponsesDialect("m", "ga"), max_steps=5)
    conv.begin("ask", "what?", IMAGE)
    nudge = conv.receive(response({"type": "message", "content": [{"text": "hmm"}]}))
    assert isinstance(nudge, events.Send)
    assert "call cua_answer now" in nudge.request["input"][0]["content"][0]["text"]
    end = conv.receive(response({"type": "message", "content": [{"text": "42"}]}))
    assert end.outcome == "no_verdict" and end.reason == "42"


def test_loop_wrong_or_malformed_function_calls_are_answered_with_errors():
    conv = conversation.Conversation(ResponsesDialect("m", "ga"))
    conv.begin("ask", "what?", IMAGE)
    again = conv.receive(response(fcall("f1", "cua_verdict", passed=True, reason="x")))
    assert "expects cua_answer" in again.request["input"][0]["output"]
    again = conv.receive(response({"type": "function_call", "call_id": "f2",
                                   "name": "cua_answer", "arguments": "{not json"}))
    assert "must be a JSON object" in again.request["input"][0]["output"]
    done = conv.receive(response(fcall("f3", "cua_answer", answer="7")))
    assert done.outcome == "answer" and done.answer == "7"


def test_loop_max_steps():
    conv = conversation.Conversation(ResponsesDialect("m", "ga"), max_steps=2)
    conv.begin("act", "x", IMAGE)
    assert isinstance(conv.receive(response(call("c1", {"type": "wait"}))), events.Execute)
    conv.executed(IMAGE)
    end = conv.receive(response(call("c2", {"type": "wait"})))
    assert end.outcome == "max_steps"


def test_loop_verdict_with_a_computer_call_executes_then_finishes():
    conv = conversation.Conversation(ResponsesDialect("m", "ga"))
    conv.begin("act", "x", IMAGE)
    decision = conv.receive(response(call("c1", {"type": "wait"}),
                                     fcall("f1", "cua_verdict", passed=True, reason="r")))
    assert isinstance(decision, events.Execute)
    assert isinstance(conv.executed(IMAGE, ["note"]), events.Finish)
    carried = conv.begin("act", "y", IMAGE).request["input"]
    assert [i.get("type", "message") for i in carried] == [
        "function_call_output", "computer_call_output", "message", "message"]


@pytest.mark.parametrize(("reply", "needle"), [
    ({"id": "r", "status": "completed", "output": []}, "returned no output"),
    ({"status": "completed", "output": []}, "malformed response"),
    ({"id": "r", "status": "failed", "output": [], "error": {"message": "boom"}}, "boom"),
    ({"id": "r", "output": [{"type": "computer_call", "action": {"type": "wait"}}]}, "no call_id"),
])
def test_unusable_responses_are_provider_errors(reply, needle):
    with pytest.raises(CuaProviderError, match=needle):
        protocol.parse_response(reply)
