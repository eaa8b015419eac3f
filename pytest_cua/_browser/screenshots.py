"""How a screenshot is captured and encoded: the choice that sets a turn's cost.

A model turn waits for one screenshot, and on a busy page (photos, gradients, a grain
texture) PNG encoding is what it waits for: 200 ms and 1.4 MB for a 1280x720 textured
page against 33 ms and 0.3 MB as JPEG at quality 90, while a flat UI page is 10-30 KB of
PNG either way (`benchmarks/turn_cost.py`). So with `--cua-screenshot-format=auto` (the
default) each screenshot is encoded by what the last one showed: exact PNG, fast-deflated,
for flat pages, where text and edges are everything and PNG is small; JPEG at quality 90
for busy ones, where the texture is noise above JPEG's own error. `png` and `jpeg` force
one format.

On Chromium the capture goes straight to the DevTools protocol (`Page.captureScreenshot`)
instead of `page.screenshot()`, for Chromium's fast encoders (`optimizeForSpeed`), which
Playwright does not expose; finite animations are finished first, as Playwright's
`animations="disabled"` does. Masked screenshots (a secret was typed), zooms and other
browsers keep `page.screenshot()`.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image as PILImage

from .._core.actions import Scale
from .._core.events import Image
from ..settings import SCREENSHOT_FORMATS
from . import scripts

AUTO, PNG, JPEG = FORMATS = SCREENSHOT_FORMATS
JPEG_QUALITY = 90  # busy screens: below the texture's own noise; 80 blurs small text
# Bytes per pixel that tell a busy screen from a flat one. Measured at 1280x720: flat and
# text-heavy pages are 0.01-0.03 as fast PNG and JPEG; textured ones 1.4-1.8 as fast PNG,
# 0.3-0.4 as JPEG. The two thresholds leave a wide gap, so a page does not flip back and
# forth between formats.
BUSY_PNG = 0.5
CALM_JPEG = 0.12

# Finite CSS animations and transitions jump to their end (firing their end events), in the
# document and every open shadow root, so the model sees where the page is going; infinite
# ones (spinners) are left running.
FINISH_ANIMATIONS_JS = ("() => {" + scripts.load("animations.js")
                        + " finishAnimations(everyAnimation()); }")


@dataclass
class Encoding:
    """The format of the next screenshot, learnt from the size of the last one."""

    setting: str = AUTO
    busy: bool = False

    def next(self) -> str:
        if self.setting != AUTO:
            return self.setting
        return JPEG if self.busy else PNG

    def zoom(self) -> str:
        """Zoomed regions are asked for to read small print: exact unless told otherwise."""
        return JPEG if self.setting == JPEG else PNG

    def learn(self, fmt: str, size: int, pixels: int) -> None:
        if self.setting == AUTO and pixels > 0:
            density = size / pixels
            self.busy = density > BUSY_PNG if fmt == PNG else density > CALM_JPEG


def cdp_params(fmt: str) -> dict[str, Any]:
    """`Page.captureScreenshot` parameters: the viewport as it is on screen, encoded fast
    (PNG with fast deflate: the same pixels, about twice the bytes, a third of the time)."""
    if fmt == JPEG:
        return {"format": "jpeg", "quality": JPEG_QUALITY, "optimizeForSpeed": True}
    return {"format": "png", "optimizeForSpeed": True}


def playwright_params(fmt: str) -> dict[str, Any]:
    """`page.screenshot()` arguments for the same picture, where CDP is not used."""
    args: dict[str, Any] = {"type": fmt, "scale": "css", "animations": "disabled",
                            "caret": "initial"}
    if fmt == JPEG:
        args["quality"] = JPEG_QUALITY
    return args


# -- a screenshot as the model gets it: its image, and how its pixels map to the page --
def fit(width: int, height: int, limit: tuple[int, int]) -> tuple[int, int]:
    """The largest size within `limit` with the same aspect ratio (never upscaled)."""
    factor = min(1.0, limit[0] / width, limit[1] / height)
    return max(1, round(width * factor)), max(1, round(height * factor))


@dataclass(frozen=True)
class Shot:
    """A screenshot: what the model is sent, plus how to map its pixels back to the page."""

    png: bytes  # the encoded image: PNG, or JPEG with the jpeg screenshot format
    scale: Scale
    mime: str = "image/png"
    zoom_size: tuple[int, int] | None = None  # a zoomed region: its own size, same scale

    @property
    def image(self) -> Image:
        url = f"data:{self.mime};base64," + base64.b64encode(self.png).decode("ascii")
        if self.zoom_size:
            return Image(url, *self.zoom_size, zoomed=True)
        return Image(url, self.scale.shot_width, self.scale.shot_height)


def zoom_clip(action: dict, scale: Scale) -> dict[str, float]:
    """The page region (CSS pixels) a zoom action asks for, from screenshot pixels."""
    x0, y0 = scale.to_page(*action["region"][:2])
    x1, y1 = scale.to_page(*action["region"][2:])
    left, top = min(x0, x1), min(y0, y1)
    return {"x": left, "y": top, "width": max(abs(x1 - x0), 1), "height": max(abs(y1 - y0), 1)}


def zoom_shot(raw: bytes, scale: Scale, fmt: str) -> Shot:
    with PILImage.open(io.BytesIO(raw)) as img:
        size = img.size
    return Shot(raw, scale, _MIME[fmt], size)


_MIME = {PNG: "image/png", JPEG: "image/jpeg"}
def encode_shot(raw: bytes, page_size: tuple[int, int] | None,
                limit: tuple[int, int], fmt: str = "png") -> Shot:
    """Scale a raw viewport screenshot down to `limit` when needed and keep the mapping.

    `raw` is already in `fmt` (the browser encodes it); it is re-encoded only when scaled.
    """
    with PILImage.open(io.BytesIO(raw)) as img:
        width, height = img.size
        target = fit(width, height, limit)
        if target != (width, height):
            out = io.BytesIO()
            small = img.convert("RGB").resize(target, PILImage.Resampling.LANCZOS)
            if fmt == JPEG:
                small.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                small.save(out, "PNG", compress_level=1)  # fast deflate, as Chromium's
            raw = out.getvalue()
    page_w, page_h = page_size or (width, height)
    return Shot(raw, Scale(target[0], target[1], page_w, page_h), _MIME[fmt])
