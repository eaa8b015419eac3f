"""Settling: the screenshot after an action shows the page once it is done changing.

Checked on what the model is sent (the screenshot after the action), not on timings: a
delayed update, a slow fetch and a CSS transition must all be visible in it, and a page
that never settles must not hold the step.
"""

from __future__ import annotations

import base64
import io
import time

import pytest
from PIL import Image

from pytest_cua.testing import center_of, click, computer_call, turn, verdict


@pytest.fixture
def settle_page(page, site):
    page.goto(site + "/settle.html")
    return page


def screenshot_after_click(cua_fake_server, cua_agent, page, selector):
    cua_fake_server.script(turn(computer_call(click(*center_of(page, selector)))),
                           turn(verdict(True, "done")))
    cua_agent("Press the button")
    url = cua_fake_server.requests[1].images()[-1]
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")


@pytest.mark.parametrize(("button", "colour"), [("#later", (0, 255, 0)),
                                                ("#fetch", (255, 255, 0)),
                                                ("#xhr", (255, 0, 255))])
def test_delayed_updates_are_in_the_screenshot(cua_fake_server, cua_agent, settle_page, button,
                                               colour):
    """A 300 ms timer, a 300 ms fetch, or a 300 ms XHR whose result is drawn a frame later:
    the model sees the result."""
    box = settle_page.locator("#out").bounding_box()
    shot = screenshot_after_click(cua_fake_server, cua_agent, settle_page, button)
    assert shot.getpixel((int(box["x"] + box["width"] - 5), int(box["y"] + 5))) == colour


def test_transition_is_shown_at_its_end_state(cua_fake_server, cua_agent, settle_page):
    shot = screenshot_after_click(cua_fake_server, cua_agent, settle_page, "#animate")
    box = settle_page.locator("#box").bounding_box()
    pixel = shot.getpixel((int(box["x"] + 50), int(box["y"] + 50)))
    assert pixel == (255, 0, 0)


def test_a_page_that_never_settles_does_not_hold_the_step(cua_fake_server, cua_agent,
                                                           settle_page):
    started = time.monotonic()
    screenshot_after_click(cua_fake_server, cua_agent, settle_page, "#tick")
    assert time.monotonic() - started < 20  # a hang check, not a timing: the cap is 3 s
    assert settle_page.locator("#clock").inner_text()
