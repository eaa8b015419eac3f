"""Native dialogs during a step: shown to the model, answered by its next action.

A native dialog freezes the page until it is answered; these tests prove the model sees it
(the text and a picture of it) and that its next action (Enter, Escape, a click on a drawn
button, typing into a prompt) is what the page receives, for each dialog kind, without a
hang. The page's script writes the dialog's result into #result.
"""

from __future__ import annotations

import pytest

from pytest_cua import CuaStepFailed
from pytest_cua.testing import (
    center_of,
    click,
    computer_call,
    decode_image,
    keypress,
    turn,
    type_text,
    verdict,
    wait,
)


@pytest.fixture
def dialog_page(page, site):
    page.goto(f"{site}/dialogs.html")
    return page


def _told(server, index: int) -> str:
    return "\n".join(server.requests[index].texts())


def _result(page) -> str:
    return page.inner_text("#result")


def test_confirm_accepted_with_enter(cua_fake_server, dialog_page, cua_agent):
    cua_fake_server.script(turn(computer_call(click(*center_of(dialog_page, "#delete")))),
                           turn(computer_call(keypress("ENTER"))),
                           turn(verdict(True, "deleted")))
    result = cua_agent("Delete all errands, confirming")

    assert _result(dialog_page) == "deleted"
    seen = _told(cua_fake_server, 1)
    assert "the page opened a confirm dialog saying 'Delete all errands?'" in seen
    assert "Enter or click OK to accept, Escape or click Cancel to decline" in seen
    # The picture of the dialog is what the model gets for the click's screenshot.
    image = cua_fake_server.requests[1].images()[-1]
    assert decode_image(image) == ("png", (1280, 720))
    assert "was answered OK" in _told(cua_fake_server, 2)
    opening, answering = result.turns[0].actions[0], result.turns[1].actions[0]
    assert opening.dialog == {"type": "confirm", "message": "Delete all errands?",
                              "accept": True}
    assert answering.answers_dialog and "answering the dialog" in answering.description


@pytest.mark.cua(model="gpt-5.4")  # the GA tool: batched actions
def test_confirm_declined_by_clicking_cancel_then_the_batch_goes_on(cua_fake_server,
                                                                    dialog_page, cua_agent):
    from pytest_cua._core import dialogs

    cancel = dialogs.layout(1280, 720, dialogs.DialogInfo("confirm", "x")).cancel
    assert cancel is not None
    cua_fake_server.script(
        turn(computer_call(click(*center_of(dialog_page, "#delete")),
                           click(*center_of(dialog_page, "#other")))),  # skipped: dialog first
        turn(computer_call(click((cancel[0] + cancel[2]) // 2, (cancel[1] + cancel[3]) // 2),
                           click(*center_of(dialog_page, "#other")))),  # runs after the answer
        turn(verdict(True, "kept")))
    result = cua_agent("Start deleting, then change your mind")

    assert _result(dialog_page) == "kept + other"
    assert result.turns[0].actions[1].error == "skipped: a dialog opened first"
    assert "was answered Cancel" in _told(cua_fake_server, 2)


def test_prompt_typed_then_enter(cua_fake_server, dialog_page, cua_agent):
    cua_fake_server.script(turn(computer_call(click(*center_of(dialog_page, "#rename")))),
                           turn(computer_call(type_text("Chores"))),
                           turn(computer_call(keypress("ENTER"))),
                           turn(verdict(True, "renamed")))
    cua_agent("Rename the list to Chores")

    assert _result(dialog_page) == "renamed to Chores"
    assert "type the answer (the field holds 'Errands')" in _told(cua_fake_server, 1)
    assert "was answered OK with 'Chores'" in _told(cua_fake_server, 3)


def test_alert_closed_and_a_late_confirm_declined(cua_fake_server, dialog_page, cua_agent):
    cua_fake_server.script(turn(computer_call(click(*center_of(dialog_page, "#alert")))),
                           turn(computer_call(wait())),  # not an answer: asked again
                           turn(computer_call(keypress("ENTER"))),
                           turn(computer_call(click(*center_of(dialog_page, "#later")))),
                           turn(computer_call(keypress("ESC"))),
                           turn(verdict(True, "done")))
    cua_agent("Save, then start deleting later and cancel")

    assert _result(dialog_page) == "kept later"
    assert "opened an alert dialog saying 'Saved'" in _told(cua_fake_server, 1)
    assert "press Enter or click OK to close it" in _told(cua_fake_server, 2)  # asked again
    assert "confirm dialog saying 'Really delete later?'" in _told(cua_fake_server, 4)


def test_a_verdict_with_the_dialog_open_declines_it(cua_fake_server, dialog_page, cua_agent):
    cua_fake_server.script(turn(computer_call(click(*center_of(dialog_page, "#delete")))),
                           turn(verdict(False, "I will not delete everything")))
    with pytest.raises(CuaStepFailed, match="I will not delete everything"):
        cua_agent("Delete all errands")
    assert _result(dialog_page) == "kept"


def test_outside_steps_playwright_dismisses_as_usual(cua_fake_server, dialog_page, cua_agent):
    cua_fake_server.script(turn(verdict(True, "looked")))
    cua_agent.check("The page has a Delete all button")
    dialog_page.click("#delete")  # the test's own Playwright code: no model involved
    assert _result(dialog_page) == "kept"
