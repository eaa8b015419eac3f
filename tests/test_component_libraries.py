"""Strict replay on apps built from real component libraries, installed from npm.

Each app is recorded once against the scripted model answering at once (the hardest
recording: a clock or a toast's timer is seen changing fewer than three times), then
replayed with no model and no credentials against variants of it:
- unchanged, 3 replays, all pass: the clock ticks, tips rotate, the dates differ per load,
  toasts count down in their shadow roots, colours transition;
- unchanged but alive, 3 replays, all pass: a backend slower than the replay behind a
  spinner;
- broken with the same markup (a handler that does nothing, a save the backend drops, a
  switch that snaps back, a look changed by CSS): each fails, naming the step.

The libraries are the ones users install (tests/apps/package.json): Shoelace's web
components, Bootstrap 5's modal, toasts and validation states, and Swagger UI's single-page
app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replaying import cassette, cassette_file, failure_of, mismatch_step, prepare, run, write_app

APPS = Path(__file__).parent / "apps"

SHOELACE_TESTS = r'''
def test_app(model, page, cua_agent, app):
    if scripted(model) is not None:
        title, add = centre(app, "#title input"), centre(app, "#add")
        app.evaluate("document.querySelector('#list').insertAdjacentHTML('beforeend', "
                     "'<sl-checkbox id=probe>x</sl-checkbox>')")
        app.wait_for_function("document.querySelector('#probe').shadowRoot")
        tick = centre(app, "#probe .checkbox__control")
        app.evaluate("document.querySelector('#probe').remove()")
        settings = centre(app, "sl-tab[panel=settings]")
        app.evaluate("document.querySelector('#tabs').show('settings')")
        notify, save = centre(app, "#notify"), centre(app, "#save")
        app.evaluate("document.querySelector('#tabs').show('tasks')")
        model.script(
            turn(computer_call(click(*title))), turn(computer_call(type_text("buy milk"))),
            turn(computer_call(click(*add))), turn(verdict(True, "buy milk is listed")),
            turn(computer_call(click(*tick))), turn(verdict(True, "ticked")),
            turn(verdict(True, "the box is ticked")),
            turn(computer_call(click(*settings))), turn(verdict(True, "settings show")),
            turn(computer_call(click(*notify))), turn(verdict(True, "switched on")),
            turn(computer_call(click(*save))), turn(verdict(True, "saved")),
            turn(verdict(True, "a toast says so")))
    cua_agent("Add a task 'buy milk'")
    cua_agent("Tick 'buy milk' as done")
    cua_agent.check("'buy milk' is ticked")
    cua_agent("Open the Settings tab")
    cua_agent("Turn on email notifications")
    cua_agent("Save the settings")
    cua_agent.check("A message says the settings were saved")
'''

ADD, TICK, SWITCH, SAVE, SAVED = 1, 2, 5, 6, 7
SHOELACE_BROKEN = {  # variant: (its settings, the step that must fail)
    "the add handler does nothing": ({"cfg": {"addBreaks": True}}, ADD),
    "the checked look is gone (CSS only)": (
        {"cfg": {"css": "sl-checkbox::part(control--checked) {background: #fff; "
                        "border-color: #ccc; color: #fff}"}}, TICK),
    "the switch snaps back": ({"cfg": {"switchSnapsBack": True}}, SWITCH),
    "the backend drops the save": ({"backend_drops": True}, SAVE),
}


@pytest.fixture
def shoelace(cua_pytester, monkeypatch, component_libraries):
    return prepare(cua_pytester, monkeypatch, SHOELACE_TESTS, component_libraries)


def shoelace_app(pytester: pytest.Pytester, cfg: dict | None = None, **backend: object) -> None:
    write_app(pytester, (APPS / "shoelace.html").read_text(), **backend, **(cfg or {}))


def test_shoelace_app_replays_right(shoelace):
    shoelace_app(shoelace)
    run(shoelace, "record").assert_outcomes(passed=1)
    text = cassette_file(shoelace).read_text()
    for _ in range(3):  # unchanged: the clock, the tips, the dates and the toast are alive
        result = run(shoelace, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    shoelace_app(shoelace, backend_delay=1.5)  # alive: a slow save behind a spinner
    for _ in range(3):
        result = run(shoelace, "replay")
        assert result.parseoutcomes() == {"passed": 1}, failure_of(result)
    for name, (variant, step) in SHOELACE_BROKEN.items():
        shoelace_app(shoelace, **variant)
        result = run(shoelace, "replay")
        assert result.parseoutcomes() == {"failed": 1}, (name, failure_of(result))
        assert mismatch_step(result) == step, (name, failure_of(result))
    # What the recording kept is what a person sees, through shadow roots
    recorded = cassette(shoelace)
    assert "[switch \"Email notifications\": checked]" in text or any(
        "[checkbox Email notifications: checked]" in line
        for line in recorded["steps"][SWITCH - 1]["change"]["appeared"]), text
    assert "127.0.0.1" not in text  # no origin in any look or address
