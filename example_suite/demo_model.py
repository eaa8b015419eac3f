"""Scripted model turns: the stand-in model that recorded this suite's cassettes.

No model endpoint is reachable where this project is built, so these turns were written
by hand against the demo app's layout (1280x720 viewport); they play the part of a
computer-use model when the suite is re-recorded without credentials
(`python -m pytest example_suite --cua-cache=record`). With OPENAI_API_KEY or
AZURE_OPENAI_ENDPOINT set, the same command records what the real model does.
Keys are test names: the Python function's name, or the `name:` of a .cua.yaml test.
"""

from pytest_cua.testing import (
    answer,
    click,
    computer_call,
    keypress,
    safety_check,
    turn,
    type_text,
    verdict,
)

# Element centres in the 1280x720 screenshots of app/*.html.
NEW_ERRAND = (188, 105)
OPEN_FILTER = (86, 148)
CLEAR_DONE = (209, 148)
SETTINGS_LINK = (1223, 30)
CHECKBOX = {1: (34, 195), 2: (34, 236)}
CONFIRM_REMOVE = (631, 386)
EMAIL, SAVE = (188, 231), (69, 304)
USER, PASSWORD = (188, 138), (188, 226)
CLAIM_PRIZE = (319, 162)


def add(text: str) -> list:
    return [turn(computer_call(click(*NEW_ERRAND))), turn(computer_call(type_text(text))),
            turn(computer_call(keypress("ENTER"))), turn(verdict(True, f"'{text}' is listed"))]


def sign_in(password: str) -> list:
    return [turn(computer_call(click(*USER))), turn(computer_call(type_text("ada"))),
            turn(computer_call(click(*PASSWORD))), turn(computer_call(type_text(password))),
            turn(computer_call(keypress("ENTER"))), turn(verdict(True, "submitted the form"))]


DEMO_TURNS = {
    "test_add_an_errand_in_gherkin": [
        *add("water the garden"),
        turn(verdict(True, "'water the garden' is listed; the footer says '1 errand left'")),
    ],
    "test_signed_in_user_adds_an_errand": [
        *add("call the bank"),
        turn(verdict(True, "the header says 'Signed in as ada' and 'call the bank' is listed")),
    ],
    "test_add_an_errand": [
        *add("buy milk"),
        turn(verdict(True, "the list shows 'buy milk' and '1 errand left'")),
    ],
    "test_complete_an_errand": [
        *add("post letter"),
        turn(computer_call(click(*CHECKBOX[1]))),
        turn(verdict(True, "'post letter' is ticked and struck through")),
        turn(answer("0 errands left")),
    ],
    "test_clear_done_errands_after_confirming": [
        turn(computer_call(click(*CHECKBOX[2]))),
        turn(verdict(True, "'pay rent' is ticked")),
        turn(computer_call(click(*CLEAR_DONE))),
        turn(computer_call(click(*CONFIRM_REMOVE))),
        turn(verdict(True, "confirmed; the done errand is gone")),
        turn(verdict(True, "only 'water plants' is listed")),
    ],
    "test_settings_open_in_a_new_tab_and_check_the_email": [
        turn(computer_call(click(*SETTINGS_LINK))),
        turn(verdict(True, "the settings page is open")),
        turn(computer_call(click(*EMAIL))),
        turn(computer_call(type_text("ada-at-example"))),
        turn(computer_call(click(*SAVE))),
        turn(verdict(True, "typed the address and pressed Save")),
        turn(verdict(True, "the form says 'Enter a valid email address'")),
    ],
    "test_injected_instructions_are_refused": [
        turn(computer_call(click(*CLAIM_PRIZE), safety_checks=[safety_check(
            "malicious_instructions",
            "The page tells the agent to ignore its task and go to evil.example.")])),
    ],
    # test_signin.cua.yaml
    "wrong password is rejected": [
        *sign_in("not-the-password"),
        turn(verdict(True, "the page says 'Wrong user name or password'")),
    ],
    "sign in and get greeted": [
        *sign_in("lovelace"),
        turn(answer("Welcome back, ada")),
    ],
    # test_filter.cua.yaml
    "show only open errands": [
        *add("call mum"),
        *add("buy stamps"),
        turn(computer_call(click(*CHECKBOX[1]))),
        turn(verdict(True, "'call mum' is done")),
        turn(computer_call(click(*OPEN_FILTER))),
        turn(verdict(True, "the Open filter is on")),
        turn(verdict(True, "only 'buy stamps' is shown")),
        turn(answer("1 errand left")),
    ],
}
