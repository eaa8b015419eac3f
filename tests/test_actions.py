"""Every action type, executed on a page that records the events it receives."""

from __future__ import annotations

import pytest

from pytest_cua.testing import (
    center_of,
    click,
    computer_call,
    decode_image,
    double_click,
    drag,
    keypress,
    move,
    raw,
    screenshot,
    scroll,
    turn,
    type_text,
    verdict,
    wait,
)
from vendors import (
    CLAMPING,
    WITH_MODIFIERS,
    WITH_MOVE,
    WITH_SCREENSHOT_ACTION,
    WITHOUT_GEMINI,
    batches,
    screenshot_limit,
)


@pytest.fixture
def events_page(page, site):
    page.goto(f"{site}/events.html")
    return page


def events(page, kind=None):
    found = page.evaluate("window.events")
    return [e for e in found if kind is None or e["type"] == kind]


def run(agent, server, *actions, ga=False):
    """Run the actions through the loop (one per call, or one batch where the tool takes
    batches)."""
    if ga:
        server.script(turn(computer_call(*actions)), turn(verdict(True, "done")))
    else:
        server.script(*[turn(computer_call(a)) for a in actions], turn(verdict(True, "done")))
    page = agent.page
    page.evaluate("window.events = []")
    return agent("do it")


@pytest.mark.parametrize(("vendor", "button", "dom_button", "event"), [
    (vendor, *case) for vendor in WITHOUT_GEMINI
    for case in (("left", 0, "click"), ("right", 2, "contextmenu"), ("wheel", 1, "auxclick"))
    if not (vendor == "ui-tars-1.5" and case[0] == "wheel")  # UI-TARS has no middle click
], indirect=["vendor"])
def test_click_buttons(vendor, cua_fake_server, events_page, cua_agent, button, dom_button, event):
    run(cua_agent, cua_fake_server, click(120, 80, button=button))
    got = events(events_page, event)
    assert len(got) == 1
    assert (got[0]["button"], got[0]["x"], got[0]["y"]) == (dom_button, 120, 80)
    downs = events(events_page, "mousedown")
    assert [d["button"] for d in downs] == [dom_button]


@pytest.mark.parametrize("vendor", WITH_MODIFIERS, indirect=True)
def test_click_with_held_modifiers(vendor, cua_fake_server, events_page, cua_agent):
    run(cua_agent, cua_fake_server, click(200, 150, keys=["CTRL", "SHIFT"]),
        click(210, 160, keys=["ALT"]), click(220, 170, keys=["CMD"]))
    clicks = events(events_page, "click")
    assert [(c["x"], c["ctrl"], c["shift"], c["alt"], c["meta"]) for c in clicks] == [
        (200, True, True, False, False),
        (210, False, False, True, False),
        (220, False, False, False, True),
    ]
    # Modifiers are released afterwards.
    run(cua_agent, cua_fake_server, click(230, 180))
    last = events(events_page, "click")[-1]
    assert not (last["ctrl"] or last["shift"] or last["alt"] or last["meta"])


@pytest.mark.parametrize("vendor", WITHOUT_GEMINI, indirect=True)
def test_double_click(vendor, cua_fake_server, events_page, cua_agent):
    run(cua_agent, cua_fake_server, double_click(300, 200))
    got = events(events_page, "dblclick")
    assert [(d["x"], d["y"], d["button"]) for d in got] == [(300, 200, 0)]


def test_drag_along_a_path(cua_fake_server, events_page, cua_agent):
    run(cua_agent, cua_fake_server, drag((50, 50), (150, 80), (300, 200)))
    down = events(events_page, "mousedown")
    up = events(events_page, "mouseup")
    assert [(d["x"], d["y"]) for d in down] == [(50, 50)]
    assert [(u["x"], u["y"]) for u in up] == [(300, 200)]
    held = [(m["x"], m["y"]) for m in events(events_page, "mousemove") if m["buttons"] == 1]
    assert (150, 80) in held and held[-1] == (300, 200)


@pytest.mark.parametrize("vendor", WITH_MOVE, indirect=True)
def test_move(vendor, cua_fake_server, events_page, cua_agent):
    run(cua_agent, cua_fake_server, move(400, 300))
    last = events(events_page, "mousemove")[-1]
    # Exact, but for Gemini's 0-999 grid: a grid step is 1.28 px of a 1280 px screenshot.
    assert abs(last["x"] - 400) <= 1 and abs(last["y"] - 300) <= 1


def test_scroll_at_a_point(cua_fake_server, events_page, cua_agent):
    x, y = center_of(events_page, "#scroller")
    run(cua_agent, cua_fake_server, scroll(x, y, scroll_x=40, scroll_y=300))
    wheel = events(events_page, "wheel")
    assert wheel and wheel[0]["target"] == "scroller"
    assert (wheel[0]["dx"], wheel[0]["dy"]) == (40, 300)
    positions = events_page.evaluate(
        "[document.getElementById('scroller').scrollLeft, "
        "document.getElementById('scroller').scrollTop, window.scrollY]")
    assert positions == [40, 300, 0]


def test_type_and_keypress_mapping(vendor, cua_fake_server, events_page, cua_agent):
    x, y = center_of(events_page, "#text")
    run(cua_agent, cua_fake_server, click(x, y), type_text("Hello, world"),
        keypress("CTRL", "A"), keypress("BACKSPACE"), type_text("ab"),
        keypress("ARROWLEFT"), keypress("SPACE"), keypress("ENTER"), keypress("ESC"),
        keypress("SHIFT", "TAB"), ga=batches(vendor))
    keys = [(k["key"], k["ctrl"], k["shift"]) for k in events(events_page, "keydown")]
    assert ("a", True, False) in keys
    for expected in [("Backspace", False, False), ("ArrowLeft", False, False),
                     (" ", False, False), ("Enter", False, False), ("Escape", False, False),
                     ("Tab", False, True)]:
        assert expected in keys
    # Select-all then backspace cleared the text; the later keys edited what was typed.
    assert events_page.locator("#text").input_value() == "a \nb"


@pytest.mark.parametrize("vendor", WITH_SCREENSHOT_ACTION, indirect=True)
def test_wait_and_screenshot_do_nothing(vendor, cua_fake_server, events_page, cua_agent):
    result = run(cua_agent, cua_fake_server, wait(), screenshot())
    assert result.passed
    assert [e for e in events(events_page) if e["type"] != "mousemove"] == []


def test_back_and_forward_buttons(cua_fake_server, events_page, cua_agent, site):
    events_page.goto(f"{site}/events.html#one")
    events_page.goto(f"{site}/events.html#two")
    run(cua_agent, cua_fake_server, click(10, 10, button="back"))
    assert events_page.url.endswith("#one")
    run(cua_agent, cua_fake_server, click(10, 10, button="forward"))
    assert events_page.url.endswith("#two")


@pytest.mark.parametrize("vendor", CLAMPING, indirect=True)
def test_coordinates_are_clamped(vendor, cua_fake_server, events_page, cua_agent):
    run(cua_agent, cua_fake_server, click(5000, -40))
    got = events(events_page, "click")
    assert [(c["x"], c["y"]) for c in got] == [(1279, 0)]


def test_unknown_action_is_reported_to_the_model(cua_fake_server, events_page, cua_agent):
    cua_fake_server.script(
        turn(raw({"type": "computer_call", "id": "cu_x", "call_id": "call_x",
                  "status": "completed", "pending_safety_checks": [],
                  "action": {"type": "teleport", "x": 1, "y": 2}})),
        turn(computer_call(keypress("NOT_A_KEY"))),
        turn(verdict(True, "recovered")),
    )
    result = cua_agent("do it")
    assert result.passed and result.reason == "recovered"
    second, third = cua_fake_server.requests[1:]
    assert second.items("computer_call_output")[0]["call_id"] == "call_x"
    assert "unknown action type 'teleport'" in second.texts()[0]
    assert "unknown key 'NOT_A_KEY'" in third.texts()[0]
    assert result.turns[0].actions[0].error.startswith("unknown action type")


@pytest.mark.usefixtures("vendor")
def test_check_refuses_actions_that_change_the_page(cua_fake_server, events_page, cua_agent):
    cua_fake_server.script(
        turn(computer_call(click(100, 100))),
        turn(computer_call(scroll(800, 275, scroll_y=100))),
        turn(verdict(True, "looked")),
    )
    events_page.evaluate("window.events = []")
    cua_agent.check("The pad is blue")
    assert events(events_page, "click") == []
    assert events(events_page, "wheel")
    assert "'click' refused" in cua_fake_server.requests[1].texts()[0]


def test_large_viewport_is_scaled_and_clicks_map_back(vendor, cua_fake_server, page, site,
                                                      cua_agent):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{site}/grid.html")
    x, y = center_of(page, "#b34")  # CSS pixels
    width = screenshot_limit(vendor)[0]  # each vendor's documented limit
    factor = width / 1920
    cua_fake_server.script(turn(computer_call(click(round(x * factor), round(y * factor)))),
                           turn(verdict(True, "clicked")))
    cua_agent("Click button 3,4")
    assert page.locator("#out").inner_text() == "b34"
    first = cua_fake_server.requests[0]
    _fmt, size = decode_image(first.images()[0])
    expected = (width, round(1080 * factor))
    assert size == expected
    if "tools" not in first.body:  # a chat completions family: its prompt says the size
        return
    tool = first.body["tools"][0]
    declared = (tool.get("display_width") or tool.get("display_width_px"),
                tool.get("display_height") or tool.get("display_height_px"))
    assert declared in (expected, (None, None))  # the GA tool and the toolset declare none


@pytest.mark.usefixtures("vendor")
def test_new_tab_becomes_the_active_page(cua_fake_server, page, site, cua_agent):
    page.goto(f"{site}/popup.html")
    cua_fake_server.script(turn(computer_call(click(*center_of(page, "#open")))),
                           turn(computer_call(click(200, 125))),
                           turn(verdict(True, "thanked")))
    cua_agent("Open help and say thanks")
    assert cua_agent.page is not page
    assert cua_agent.page.url.endswith("/second.html")
    assert cua_agent.page.locator("#out").inner_text() == "Thanks!"
