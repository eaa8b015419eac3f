"""The fake server rejects what the real API would, judged by the SDK's own types."""

from __future__ import annotations

import base64
import io

import openai
import pytest
from PIL import Image

from pytest_cua.testing import (
    FakeResponsesServer,
    click,
    computer_call,
    safety_check,
    turn,
    verdict,
)


def png(width=64, height=48) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


PREVIEW = {"type": "computer_use_preview", "display_width": 64, "display_height": 48,
           "environment": "browser"}


def first_message():
    return {"role": "user", "content": [
        {"type": "input_text", "text": "go"},
        {"type": "input_image", "image_url": png(), "detail": "high"}]}


@pytest.fixture
def server():
    with FakeResponsesServer() as fake:
        yield fake


@pytest.fixture
def client(server):
    return openai.OpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)


def create(client, **kwargs):
    kwargs.setdefault("model", "computer-use-preview")
    kwargs.setdefault("tools", [PREVIEW])
    kwargs.setdefault("truncation", "auto")
    return client.responses.create(**kwargs)


def test_a_valid_exchange_parses_with_the_sdk(server, client):
    server.script(turn(computer_call(click(3, 4), safety_checks=[safety_check(id="sc")])),
                  turn(verdict(True, "ok")))
    first = create(client, input=[first_message()])
    call = first.output[0]
    assert call.type == "computer_call" and call.action.x == 3
    assert call.pending_safety_checks[0].id == "sc"
    ack = [{"id": "sc", "code": "malicious_instructions",
            "message": "malicious_instructions detected on screen"}]
    second = create(client, previous_response_id=first.id, input=[{
        "type": "computer_call_output", "call_id": call.call_id,
        "output": {"type": "computer_screenshot", "image_url": png()},
        "acknowledged_safety_checks": ack}])
    assert second.output[0].name == "cua_verdict"
    assert server.errors == []


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"truncation": None}, "requires truncation='auto'"),
    ({"tools": []}, "exactly one computer tool"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": png(10, 10),
                                              "detail": "high"}]}]},
     "screenshot is 10x10 but the computer tool declares display 64x48"),
    ({"input": [{"role": "user", "content": [{"type": "input_image",
                                              "image_url": "data:image/png;base64,AAAA",
                                              "detail": "high"}]}]},
     "not a real image"),
    ({"input": [{"type": "computer_call_output", "call_id": "nope",
                 "output": {"type": "screenshot", "image_url": png()}}]},
     "SDK type ComputerCallOutput"),
    ({"extra_body": {"temprature": 1}}, "unknown field 'temprature'"),
])
def test_protocol_errors_are_rejected(server, client, kwargs, needle):
    kwargs.setdefault("input", [first_message()])
    server.script(turn(verdict(True, "unused")))
    if kwargs.get("truncation", "auto") is None:
        kwargs.pop("truncation")
        with pytest.raises(openai.BadRequestError, match=needle):
            client.responses.create(model="m", tools=[PREVIEW], input=kwargs["input"])
    else:
        with pytest.raises(openai.BadRequestError, match=needle):
            create(client, **kwargs)
    with pytest.raises(AssertionError, match="protocol errors"):
        server.assert_clean()


def test_unanswered_calls_and_wrong_acknowledgements(server, client):
    server.script(turn(computer_call(click(1, 1), safety_checks=[safety_check(id="sc")])))
    first = create(client, input=[first_message()])
    with pytest.raises(openai.BadRequestError, match="was not answered"):
        create(client, previous_response_id=first.id, input=[first_message()])
    with pytest.raises(openai.BadRequestError, match=r"pending safety checks .*'sc'.* but "
                                                     r"acknowledged \[\]"):
        create(client, previous_response_id=first.id, input=[{
            "type": "computer_call_output", "call_id": first.output[0].call_id,
            "output": {"type": "computer_screenshot", "image_url": png()}}])
    assert len(server.errors) == 2


def test_ga_batches_and_the_preview_single_action(server, client):
    server.script(turn(computer_call(click(1, 1), click(2, 2))),
                  turn(computer_call(click(1, 1), click(2, 2))))
    ga = create(client, model="gpt-5.4", tools=[{"type": "computer"}], truncation=None,
                input=[first_message()])
    assert [a.x for a in ga.output[0].actions] == [1, 2] and ga.output[0].action is None
    with pytest.raises(openai.BadRequestError, match="exactly one action"):
        create(client, input=[first_message()])


def test_exhausted_script_is_an_error(server, client):
    with pytest.raises(openai.BadRequestError, match="no scripted model turn left"):
        create(client, input=[first_message()])


def test_the_fake_server_needs_no_vendor_sdk_it_does_not_serve():
    """A suite on OpenAI alone installs neither anthropic nor google-genai."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['anthropic'] = None; sys.modules['google.genai'] = None\n"
            "from pytest_cua.testing.server import FakeResponsesServer\n"
            "with FakeResponsesServer():\n    print('served')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "served", done.stderr
