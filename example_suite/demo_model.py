"""Scripted model turns for the offline run of the example suite.

No model endpoint is reachable where this project is built, so these turns were written
by hand against the demo app's layout (1280x720 viewport). They stand in for what a
computer-use model does; with a real key the same tests run against the real model.
"""

from pytest_cua.testing import answer, click, computer_call, keypress, turn, type_text, verdict

NEW_ERRAND = (180, 105)  # the "What needs doing?" field
FIRST_CHECKBOX = (34, 162)  # checkbox of the first errand

DEMO_TURNS = {
    "test_add_an_errand": [
        turn(computer_call(click(*NEW_ERRAND))),
        turn(computer_call(type_text("buy milk"))),
        turn(computer_call(keypress("ENTER"))),
        turn(verdict(True, "'buy milk' is now in the list")),
        turn(verdict(True, "the list shows 'buy milk' and '1 errand left'")),
    ],
    "test_complete_an_errand": [
        turn(computer_call(click(*NEW_ERRAND))),
        turn(computer_call(type_text("post letter"))),
        turn(computer_call(keypress("ENTER"))),
        turn(verdict(True, "added 'post letter'")),
        turn(computer_call(click(*FIRST_CHECKBOX))),
        turn(verdict(True, "'post letter' is ticked and struck through")),
        turn(answer("0 errands left")),
    ],
}
