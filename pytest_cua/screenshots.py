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

from dataclasses import dataclass
from typing import Any

PNG, JPEG, AUTO = "png", "jpeg", "auto"
FORMATS = (AUTO, PNG, JPEG)
JPEG_QUALITY = 90  # busy screens: below the texture's own noise; 80 blurs small text
# Bytes per pixel that tell a busy screen from a flat one. Measured at 1280x720: flat and
# text-heavy pages are 0.01-0.03 as fast PNG and JPEG; textured ones 1.4-1.8 as fast PNG,
# 0.3-0.4 as JPEG. The two thresholds leave a wide gap, so a page does not flip back and
# forth between formats.
BUSY_PNG = 0.5
CALM_JPEG = 0.12

# Finite CSS animations and transitions jump to their end (firing their end events), so
# the model sees where the page is going; infinite ones (spinners) are left running.
FINISH_ANIMATIONS_JS = """() => {
  if (!document.getAnimations) return;
  for (const a of document.getAnimations()) {
    const end = a.effect && a.effect.getComputedTiming().endTime;
    if (a.playState === 'running' && Number.isFinite(end)) {
      try { a.finish(); } catch (e) {}
    }
  }
}"""


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
