"""What the model is sent: exact PNG for flat pages, JPEG for busy ones (`auto`).

Checked on the requests the fake server received: each screenshot's type follows what
the previous one showed, a forced format is kept, and every image decodes at the size
the computer tool announced.
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from pytest_cua._browser.screenshots import Encoding
from pytest_cua.testing import center_of, click, computer_call, turn, verdict


def sent_images(server) -> list[tuple[str, tuple[int, int]]]:
    images = []
    for request in server.requests:
        for url in request.images():
            mime, data = url[5:].split(";base64,", 1)
            images.append((mime, Image.open(io.BytesIO(base64.b64decode(data))).size))
    return images


def press_go(cua_fake_server, cua_agent, page) -> None:
    go = center_of(page, "#go")
    cua_fake_server.script(turn(computer_call(click(*go))), turn(computer_call(click(*go))),
                           turn(verdict(True, "went")))
    cua_agent("Press Go twice")


def test_busy_pages_go_as_jpeg_and_flat_pages_as_png(cua_fake_server, cua_agent, page, site):
    page.goto(site + "/textured.html")
    press_go(cua_fake_server, cua_agent, page)
    assert page.inner_text("#out") == "went"
    page.goto(site + "/settle.html")  # flat again: the first shot tells, the next is PNG
    cua_fake_server.script(turn(computer_call(click(*center_of(page, "#animate")))),
                           turn(verdict(True, "done")))
    cua_agent("Press Animate")
    assert sent_images(cua_fake_server) == [
        ("image/png", (1280, 720)),  # nothing known yet: exact
        ("image/jpeg", (1280, 720)), ("image/jpeg", (1280, 720)),  # the texture was seen
        ("image/jpeg", (1280, 720)),  # the step on the flat page starts from what was seen
        ("image/png", (1280, 720)),
    ]


@pytest.mark.cua(screenshot_format="png")
def test_png_keeps_busy_pages_exact(cua_fake_server, cua_agent, page, site):
    page.goto(site + "/textured.html")
    press_go(cua_fake_server, cua_agent, page)
    assert {mime for mime, _ in sent_images(cua_fake_server)} == {"image/png"}


def test_the_format_follows_the_density_of_the_last_screenshot():
    encoding = Encoding()
    assert encoding.next() == "png"
    encoding.learn("png", 30_000, 1280 * 720)  # a flat page as fast PNG
    assert encoding.next() == "png"
    encoding.learn("png", 1_600_000, 1280 * 720)  # a textured page
    assert encoding.next() == "jpeg"
    encoding.learn("jpeg", 250_000, 1280 * 720)  # still busy
    assert encoding.next() == "jpeg"
    encoding.learn("jpeg", 20_000, 1280 * 720)  # calm again
    assert (encoding.next(), encoding.zoom()) == ("png", "png")
    forced = Encoding("jpeg")
    forced.learn("jpeg", 20_000, 1280 * 720)
    assert (forced.next(), forced.zoom()) == ("jpeg", "jpeg")
