"""End-to-end: the real loop, real Chromium, a real page, the fake server and the real SDK."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from pytest_cua.testing import (
    center_of,
    click,
    computer_call,
    decode_image,
    turn,
    type_text,
    verdict,
)


@pytest.fixture
def form(page, site):
    page.goto(f"{site}/form.html")
    return page


def _sign_up_turns(form, batched: bool):
    name, email = center_of(form, "#name"), center_of(form, "#email")
    agree, submit = center_of(form, "#agree"), center_of(form, "#submit")
    steps = [
        [click(*name), type_text("Ada Lovelace")],
        [click(*email), type_text("ada@example.com")],
        [click(*agree)],
        [click(*submit)],
    ]
    if batched:
        return [turn(computer_call(*[a for s in steps for a in s])),
                turn(verdict(True, "the welcome message is shown"))]
    return [turn(computer_call(a)) for s in steps for a in s] + [
        turn(verdict(True, "the welcome message is shown"))]


@pytest.mark.cua(tool="preview")
def test_multi_step_flow_preview(cua_fake_server, form, cua_agent):
    cua_fake_server.script(*_sign_up_turns(form, batched=False))
    result = cua_agent("Sign up as Ada Lovelace, ada@example.com, accepting the terms")

    expect(form.locator("#result")).to_have_text("Welcome, Ada Lovelace <ada@example.com>!")
    assert result.passed and result.reason == "the welcome message is shown"
    assert len(result.turns) == 7 and len(result.actions) == 6
    requests = cua_fake_server.requests
    assert len(requests) == 7
    first = requests[0].body
    assert first["truncation"] == "auto"
    assert first["tools"][0]["type"] == "computer_use_preview"
    assert (first["tools"][0]["display_width"], first["tools"][0]["display_height"]) == (1280, 720)
    # Chained by previous_response_id, each answering the previous call with a screenshot.
    for before, after in itertools.pairwise(requests):
        assert after.body["previous_response_id"] == before.response["id"]
        assert after.items("computer_call_output")[0]["call_id"] == \
            before.response["output"][0]["call_id"]
    assert decode_image(requests[-1].images()[0]) == ("png", (1280, 720))
    assert result.input_tokens == 7000 and result.output_tokens == 350


@pytest.mark.cua(model="gpt-5.4")
def test_multi_step_flow_ga_batched(cua_fake_server, form, cua_agent):
    cua_fake_server.script(*_sign_up_turns(form, batched=True))
    result = cua_agent("Sign up as Ada Lovelace, ada@example.com, accepting the terms")

    expect(form.locator("#result")).to_have_text("Welcome, Ada Lovelace <ada@example.com>!")
    assert len(result.turns) == 2 and len(result.actions) == 6
    first, second = cua_fake_server.requests
    assert first.body["tools"][0] == {"type": "computer"}
    assert "truncation" not in first.body
    assert first.body["input"][0]["content"][1]["detail"] == "original"
    assert len(first.response["output"][0]["actions"]) == 6
    assert "action" not in first.response["output"][0]
    # One screenshot after the whole batch.
    assert len(second.items("computer_call_output")) == 1


def test_steps_share_one_conversation(cua_fake_server, form, cua_agent):
    name = center_of(form, "#name")
    cua_fake_server.script(
        turn(computer_call(click(*name))), turn(computer_call(type_text("Grace"))),
        turn(verdict(True, "typed")),
        turn(verdict(True, "the name field says Grace")),
    )
    cua_agent.act("Type Grace into the name field")
    cua_agent.check("The name field contains Grace")
    expect(form.locator("#name")).to_have_value("Grace")
    third, fourth = cua_fake_server.requests[2:]
    # The second step chains onto the first and answers its verdict call first.
    assert fourth.body["previous_response_id"] == third.response["id"]
    output = fourth.items("function_call_output")[0]
    assert output["call_id"] == third.response["output"][0]["call_id"]
    assert "The name field contains Grace" in fourth.texts()[0]


@pytest.mark.cua(history="manual")
def test_manual_history_resends_items(cua_fake_server, form, cua_agent):
    name = center_of(form, "#name")
    cua_fake_server.script(turn(computer_call(click(*name))), turn(verdict(True, "ok")),
                           turn(verdict(True, "still ok")))
    cua_agent("Click the name field")
    cua_agent.check("The name field is focused")
    for request in cua_fake_server.requests:
        assert "previous_response_id" not in request.body
    last = cua_fake_server.requests[-1]
    kinds = [item.get("type", "message") for item in last.input]
    assert kinds.count("computer_call") == 1 and kinds.count("computer_call_output") == 1
    assert kinds.count("function_call") == 1 and kinds.count("function_call_output") == 1
