"""Open-weight GUI models behind an OpenAI-compatible chat completions server.

The golden set holds raw replies in each family's own grammar (the examples of its
documentation and reference parser, see open-models.md) with the actions they mean and
the pixel each point lands on at 1280x720 and 1920x1080. The flows run through the real
loop, the real `openai` SDK and real Chromium against the fake server's chat route, which
renders our scripts in the family's grammar; the shared scenarios (test_vendors,
test_outcomes, test_actions) run on the families through the `vendor` parametrization.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pytest_cua import CuaStepFailed
from pytest_cua._providers import chat, families
from pytest_cua.testing import center_of, click, computer_call, message, turn, type_text, verdict
from pytest_cua.testing import chat as fake_chat

F = families.FAMILIES
HD, FULL_HD = (1280, 720), (1920, 1080)


def parsed(family: str, text: str, size=HD, kind="act", tool_calls=()):
    return families.parse(F[family], text, list(tool_calls), size, kind)


# ----------------------------------------------------------------- golden set
UI_TARS_CLICK = ("Thought: The Submit button is at the bottom of the form.\n"
                 "Action: click(start_box='<|box_start|>(197,525)<|box_end|>')")


@pytest.mark.parametrize(("size", "pixel"), [(HD, (196, 519)), (FULL_HD, (196, 519))])
def test_ui_tars_points_are_pixels_of_the_smart_resized_image(size, pixel):
    # 1280x720 is fed to the model as 1288x728, 1920x1080 as 1932x1092 (factor 28)
    assert families.smart_resize(720, 1280) == (728, 1288)
    assert families.smart_resize(1080, 1920) == (1092, 1932)
    assert families.smart_resize(768, 1024) == (756, 1036)  # the reference parser's example
    reply = parsed("ui-tars-1.5", UI_TARS_CLICK, size)
    assert reply.error == ""
    assert reply.thought == "The Submit button is at the bottom of the form."
    assert reply.actions == [{"type": "click", "button": "left", "x": pixel[0], "y": pixel[1]}]


GOLDEN_UI_TARS = [
    ("Action: click(point='<point>197 525</point>')",  # the newer prompts' point syntax
     [{"type": "click", "button": "left", "x": 196, "y": 519}]),
    ("Action: left_double(start_box='(644,364)')", [{"type": "double_click", "x": 640, "y": 360}]),
    ("Action: right_single(start_box='(644,364,644,364)')",  # a box: its centre
     [{"type": "click", "button": "right", "x": 640, "y": 360}]),
    ("Action: drag(start_box='(0,0)', end_box='(644,364)')",
     [{"type": "drag", "path": [{"x": 0, "y": 0}, {"x": 640, "y": 360}]}]),
    ("Action: hotkey(key='ctrl c')", [{"type": "keypress", "keys": ["CTRL", "c"]}]),
    ("Action: type(content='buy milk\\n')",  # a trailing newline submits
     [{"type": "type", "text": "buy milk"}, {"type": "keypress", "keys": ["ENTER"]}]),
    ("Action: type(content='it\\'s \"quoted\"')", [{"type": "type", "text": "it's \"quoted\""}]),
    ("Action: scroll(start_box='(644,364)', direction='down')",
     [{"type": "scroll", "x": 640, "y": 360, "scroll_x": 0, "scroll_y": 500}]),
    ("Action: wait()", [{"type": "wait", "ms": 5000}]),
    ("Action: click(start_box='(644,364)')\n\ntype(content='hi')",  # two actions in a reply
     [{"type": "click", "button": "left", "x": 640, "y": 360}, {"type": "type", "text": "hi"}]),
]


@pytest.mark.parametrize(("text", "actions"), GOLDEN_UI_TARS)
def test_ui_tars_grammar(text, actions):
    assert parsed("ui-tars-1.5", "Thought: next.\n" + text).actions == actions


def test_ui_tars_endings_are_our_verdicts_and_answers():
    done = parsed("ui-tars-1.5", "Thought: t\nAction: finished(content='the list shows it')")
    assert done.verdict == (True, "the list shows it")
    stuck = parsed("ui-tars-1.5", "Thought: there is no Delete button\nAction: call_user()")
    assert stuck.verdict == (False, "there is no Delete button (the model asked for help: "
                                    "call_user())")
    # A check has no status in UI-TARS: the prompt asks for PASS:/FAIL:, and it is read.
    assert parsed("ui-tars-1.5", "Action: finished(content='FAIL: it says Log in')",
                  kind="check").verdict == (False, "it says Log in")
    assert parsed("ui-tars-1.5", "Action: finished(content='PASS: blue')",
                  kind="check").verdict == (True, "blue")
    unsure = parsed("ui-tars-1.5", "Action: finished(content='looks fine')", kind="check")
    assert "finished(content='PASS: ...') or" in unsure.error
    assert parsed("ui-tars-1.5", "Action: finished(content='3')", kind="ask").answer == "3"


@pytest.mark.parametrize(("size", "pixel"), [(HD, (640, 360)), (FULL_HD, (960, 540))])
def test_qwen3_vl_points_are_on_a_0_1000_grid(size, pixel):
    text = ('I will click the centre.\n<tool_call>\n{"name": "computer_use", "arguments": '
            '{"action": "left_click", "coordinate": [500, 500]}}\n</tool_call>')
    reply = parsed("qwen3-vl", text, size)
    assert reply.thought == "I will click the centre."
    assert reply.actions == [{"type": "click", "button": "left", "x": pixel[0], "y": pixel[1]}]
    assert parsed("ui-tars-1.0", "Action: click(start_box='(250,750)')", size).actions[0][
        "x"] == round(size[0] / 4)  # UI-TARS 1.0: the same grammar, on the grid (a table row)


def _call(**arguments) -> str:
    import json

    return f"<tool_call>\n{json.dumps({'name': 'computer_use', 'arguments': arguments})}\n" \
           "</tool_call>"


GOLDEN_QWEN = [
    (_call(action="key", keys=["ctrl", "c"]), [{"type": "keypress", "keys": ["CTRL", "c"]}]),
    (_call(action="type", text="buy milk\n"),
     [{"type": "type", "text": "buy milk"}, {"type": "keypress", "keys": ["ENTER"]}]),
    (_call(action="mouse_move", coordinate=[250, 750]), [{"type": "move", "x": 320, "y": 540}]),
    (_call(action="right_click", coordinate=[500, 500]),
     [{"type": "click", "button": "right", "x": 640, "y": 360}]),
    (_call(action="middle_click", coordinate=[500, 500]),
     [{"type": "click", "button": "middle", "x": 640, "y": 360}]),
    (_call(action="triple_click", coordinate=[500, 500]),
     [{"type": "triple_click", "x": 640, "y": 360}]),
    (_call(action="mouse_move", coordinate=[0, 0]) + _call(action="left_click_drag",
                                                           coordinate=[500, 500]),
     [{"type": "move", "x": 0, "y": 0},
      {"type": "drag", "path": [{"x": 0, "y": 0}, {"x": 640, "y": 360}]}]),
    (_call(action="scroll", pixels=-300, coordinate=[500, 500]),  # negative: down
     [{"type": "scroll", "x": 640, "y": 360, "scroll_x": 0, "scroll_y": 300}]),
    (_call(action="hscroll", pixels=200, coordinate=[500, 500]),
     [{"type": "scroll", "x": 640, "y": 360, "scroll_x": 200, "scroll_y": 0}]),
    (_call(action="wait", time=2), [{"type": "wait", "ms": 2000}]),
]


@pytest.mark.parametrize(("text", "actions"), GOLDEN_QWEN)
def test_qwen_computer_use_function(text, actions):
    assert parsed("qwen3-vl", text).actions == actions


def test_qwen_endings_and_the_parsed_tool_calls_shape():
    assert parsed("qwen3-vl", "It is blue." + _call(action="terminate", status="failure"),
                  kind="check").verdict == (False, "It is blue.")
    assert parsed("qwen3-vl", _call(action="terminate", status="success")).verdict[0] is True
    assert parsed("qwen3-vl", _call(action="answer", text="3 left"), kind="ask").answer == \
        "3 left"
    # vLLM --tool-call-parser hermes: the same call as message.tool_calls
    shaped = parsed("qwen3-vl", "", tool_calls=[{"id": "c1", "type": "function", "function": {
        "name": "computer_use",
        "arguments": '{"action": "left_click", "coordinate": [500, 500]}'}}])
    assert shaped.actions == [{"type": "click", "button": "left", "x": 640, "y": 360}]


@pytest.mark.parametrize(("size", "pixel"), [(HD, (640, 360)), (FULL_HD, (640, 360))])
def test_qwen2_5_vl_points_are_pixels_of_the_smart_resized_image(size, pixel):
    reply = parsed("qwen2.5-vl", _call(action="left_click", coordinate=[644, 364]), size)
    assert reply.actions == [{"type": "click", "button": "left", "x": pixel[0], "y": pixel[1]}]
    # the function's declared resolution is the resized image, so the model's pixels are
    assert "The screen's resolution is 1288x728" in families.system_prompt(F["qwen2.5-vl"], HD)
    assert "The screen's resolution is 1000x1000" in families.system_prompt(F["qwen3-vl"], HD)


@pytest.mark.parametrize(("family", "text", "error"), [
    ("ui-tars-1.5", "Thought: hmm\nAction: fly(to='moon')", "unknown action 'fly'"),
    ("ui-tars-1.5", "I think I should click the button.", "no 'Action:' line"),
    ("ui-tars-1.5", "Action: click(start_box='(2000,300)')", "outside the image"),
    ("qwen3-vl", _call(action="left_click", coordinate=[1500, 20]), "outside the image"),
    ("qwen3-vl", _call(action="teleport", coordinate=[1, 2]), "unknown action 'teleport'"),
    ("qwen3-vl", "<tool_call>{not json}</tool_call>", "not JSON"),
    ("qwen3-vl", "Just text, no call.", "no <tool_call>"),
])
def test_malformed_replies_say_what_is_wrong(family, text, error):
    reply = parsed(family, text)
    assert error in reply.error and reply.actions == []


def test_the_family_is_named_or_guessed_from_the_model_name():
    assert families.family_for("auto", "ByteDance-Seed/UI-TARS-1.5-7B").name == "ui-tars-1.5"
    assert families.family_for("auto", "Qwen/Qwen3-VL-30B-A3B-Instruct").name == "qwen3-vl"
    assert families.family_for("auto", "qwen2.5-vl-72b-instruct").name == "qwen2.5-vl"
    assert families.family_for("qwen3-vl", "my-finetune").name == "qwen3-vl"
    with pytest.raises(families.UnknownFamily, match=r"ui-tars-1\.5, ui-tars-1\.0, qwen3-vl"):
        families.family_for("auto", "my-finetune")
    with pytest.raises(families.UnknownFamily, match="unknown model family 'llava'"):
        families.family_for("llava", "x")


# ----------------------------------------------------------------- the fake's checks
def test_the_fake_validates_chat_requests_with_the_sdk_types():
    from pytest_cua.testing import decode_image

    good = {"model": "qwen3-vl", "messages": [{"role": "system", "content": "s"},
                                              {"role": "user", "content": "hi"}]}
    assert fake_chat.check_request(good, decode_image) == []
    bad = {"model": "qwen3-vl", "messages": [{"role": "system", "content": "s"}, {
        "role": "user", "content": [{"type": "image_url", "image_url": {"url": "x.png"}}]}],
        "temperature": "hot"}
    errors = fake_chat.check_request(bad, decode_image)
    assert any("CompletionCreateParams" in e for e in errors)
    assert any("not a data:image URL" in e for e in errors)


# ----------------------------------------------------------------- flows on real pages
@pytest.fixture
def form(page, site):
    page.goto(f"{site}/form.html")
    return page


@pytest.fixture
def qwen3(monkeypatch):
    monkeypatch.setenv("CUA_PROVIDER", "openai-compatible")
    monkeypatch.setenv("CUA_MODEL", "Qwen/Qwen3-VL-30B-A3B-Instruct")


@pytest.mark.usefixtures("qwen3")
def test_parsed_tool_calls_drive_the_same_flow(cua_fake_server, form, cua_agent):
    cua_fake_server.chat_tool_calls = True  # vLLM with --tool-call-parser hermes
    cua_fake_server.script(turn(computer_call(click(*center_of(form, "#name")),
                                              type_text("Ada"))), turn(verdict(True, "typed")))
    assert cua_agent("Type Ada as the name").passed
    expect(form.locator("#name")).to_have_value("Ada")
    assert cua_fake_server.requests[0].response["choices"][0]["message"]["tool_calls"]


@pytest.mark.usefixtures("qwen3")
def test_a_long_step_sends_only_the_newest_screenshots(cua_fake_server, form, cua_agent):
    cua_fake_server.script(*[turn(computer_call(click(5, 5 + n))) for n in range(9)],
                           turn(verdict(True, "done")))
    assert cua_agent("Click along the edge").passed
    last = cua_fake_server.requests[-1]
    assert len(last.images()) == families.FAMILIES["qwen3-vl"].images == 5
    assert sum(chat.LEFT_OUT in t for t in fake_chat.texts({"messages": [
        m for m in last.body["messages"] if m["role"] != "assistant"]})) >= 5
    assert not cua_fake_server.errors  # the server's 5-image cap was never crossed


@pytest.mark.usefixtures("qwen3")
def test_a_malformed_reply_is_told_once_then_fails_with_the_raw_text(cua_fake_server, form,
                                                                     cua_agent):
    cua_fake_server.script(turn(message("I would teleport <tool_call>{oops}</tool_call>")),
                           turn(message("Still no call, sorry.")))
    with pytest.raises(CuaStepFailed) as failed:
        cua_agent("Type Ada as the name")
    told = cua_fake_server.requests[1].texts()
    assert any("Your last reply could not be used: the <tool_call> block is not JSON" in t
               and '"action": "left_click"' in t for t in told)
    assert "Still no call, sorry. [unusable: no <tool_call> in the reply]" in str(failed.value)
    # once told, a good reply goes on as usual
    cua_fake_server.script(turn(message("Action: nothing")), turn(verdict(True, "fine")))
    assert cua_agent("Look at the form").passed


@pytest.mark.usefixtures("qwen3")
@pytest.mark.cua(extra_body={"chat_template_kwargs": {"enable_thinking": False},
                             "vl_high_resolution_images": True},
                 extra_headers={"X-Team": "qa"})
def test_extra_body_and_headers_reach_the_server(cua_fake_server, form, cua_agent):
    cua_fake_server.script(turn(verdict(True, "seen")))
    cua_agent("Look at the form")
    request = cua_fake_server.requests[0]
    assert request.body["chat_template_kwargs"] == {"enable_thinking": False}
    assert request.body["vl_high_resolution_images"] is True
    assert request.headers["x-team"] == "qa"


def test_extra_body_must_be_a_json_object():
    from pytest_cua.settings import SettingError, resolve

    assert resolve(env={"CUA_EXTRA_BODY": '{"top_k": 1}'}).extra_body == {"top_k": 1}
    with pytest.raises(SettingError, match=r"CUA_EXTRA_BODY.*expected a JSON object"):
        resolve(env={"CUA_EXTRA_BODY": "top_k=1"})


INNER = """
import pytest
from pytest_cua.testing import click, computer_call, turn, type_text, verdict

@pytest.fixture
def model(request):
    import os
    if os.environ.get("SCRIPTED") == "1":
        server = request.getfixturevalue("cua_fake_server")
        server.script(turn(computer_call(click(200, 100), type_text("Ada"))),
                      turn(verdict(True, "typed")), turn(verdict(True, "it says Ada")))
    yield

def test_types(model, page, cua_agent):
    page.set_content('<input id="name" style="position:absolute;left:100px;top:80px;'
                     'width:200px;height:40px">')
    cua_agent("Type Ada as the name")
    cua_agent.check("The field says Ada")
    assert page.input_value("#name") == "Ada"
"""


def test_a_cassette_recorded_on_a_family_replays_offline(cua_pytester, monkeypatch):
    cua_pytester.makepyfile(test_inner=INNER)
    monkeypatch.setenv("SCRIPTED", "1")
    settings = ("--cua-provider=openai-compatible", "--cua-model=ui-tars-1.5-7b")
    recorded = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cua-cache=record",
                                                 *settings)
    recorded.assert_outcomes(passed=1)
    cassette = next((cua_pytester.path / "cua_cassettes").rglob("*.y*ml")).read_text()
    assert "ui-tars-1.5" in cassette
    monkeypatch.delenv("SCRIPTED")
    replayed = cua_pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cua-cache=replay",
                                                 *settings)
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*0 model turns, * replayed turns*"])


def test_a_bad_family_is_a_usage_error_listing_the_known_ones(cua_pytester):
    cua_pytester.makepyfile(test_inner=INNER)
    result = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--cua-provider=openai-compatible", "--cua-model=x",
        "--cua-model-family=llava")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cua-model-family: invalid choice: 'llava' (choose from "
                                 "'auto', 'ui-tars-1.5', 'ui-tars-1.0', 'qwen3-vl', "
                                 "'qwen2.5-vl')*"])
    unknown = cua_pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--cua-provider=openai-compatible", "--cua-model=my-model")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*cannot tell the model family from the model name "
                                  "'my-model'; set --cua-model-family*"])


def test_missing_server_address_says_what_to_set(monkeypatch):
    from pytest_cua import CuaConfigError
    from pytest_cua._providers import registry
    from pytest_cua.settings import resolve

    settings = resolve(env={"CUA_PROVIDER": "openai-compatible", "CUA_MODEL": "qwen3-vl-8b"})
    with pytest.raises(CuaConfigError, match=r"OPENAI_BASE_URL.*localhost:8000/v1.*Ollama"):
        registry.build_client(settings, {})
    client = registry.build_client(settings, {"OPENAI_BASE_URL": "http://localhost:8000/v1"})
    assert client.api_key == "EMPTY"  # a local server takes any key
    with pytest.raises(CuaConfigError, match="served model name"):
        registry.model_for(resolve(env={"CUA_PROVIDER": "openai-compatible"}), {})
