"""Screenshots with the model's actions drawn on them, and their encoding for reports.

The marks are drawn in the screenshot's own pixels, the coordinate space the model used,
so what a reader sees is exactly what the model aimed at.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable

from PIL import Image, ImageDraw

MARK = (255, 0, 255)  # magenta: rare on real pages, visible on light and dark ones
OUTLINE = (255, 255, 255)
RING = 16
DOT = 3
REPORT_FORMATS = ("png", "jpeg", "webp", "off")
LOSSY_QUALITY = 70
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _point(action: dict, key_x: str = "x", key_y: str = "y") -> tuple[float, float] | None:
    x, y = action.get(key_x), action.get(key_y)
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(x), float(y)
    return None


def _ring(draw: ImageDraw.ImageDraw, x: float, y: float, radius: int) -> None:
    draw.ellipse((x - radius - 1, y - radius - 1, x + radius + 1, y + radius + 1),
                 outline=OUTLINE, width=5)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=MARK, width=3)


def _dot(draw: ImageDraw.ImageDraw, x: float, y: float) -> None:
    draw.ellipse((x - DOT, y - DOT, x + DOT, y + DOT), fill=MARK)


def _arrow(draw: ImageDraw.ImageDraw, start: tuple[float, float],
           end: tuple[float, float]) -> None:
    draw.line([start, end], fill=MARK, width=3)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    for side in (-0.5, 0.5):
        tip = (end[0] - 12 * math.cos(angle + side), end[1] - 12 * math.sin(angle + side))
        draw.line([end, tip], fill=MARK, width=3)


def draw_actions(png: bytes, actions: Iterable[dict]) -> bytes:
    """A copy of the screenshot with each positioned action marked; PNG bytes."""
    with Image.open(io.BytesIO(png)) as source:
        image = source.convert("RGB")
    draw = ImageDraw.Draw(image)
    for action in actions:
        kind = action.get("type")
        point = _point(action)
        if kind in ("click", "double_click") and point:
            _ring(draw, *point, RING)
            if kind == "double_click":
                _ring(draw, *point, RING + 7)
            _dot(draw, *point)
        elif kind == "move" and point:
            _ring(draw, *point, RING // 2)
        elif kind == "scroll" and point:
            _ring(draw, *point, RING)
            dx, dy = action.get("scroll_x") or 0, action.get("scroll_y") or 0
            length = math.hypot(dx, dy)
            if length:
                end = (point[0] + 40 * dx / length, point[1] + 40 * dy / length)
                _arrow(draw, point, end)
            _dot(draw, *point)
        elif kind == "drag":
            path = [p for p in (_point(q) for q in action.get("path") or []
                                if isinstance(q, dict)) if p]
            if len(path) >= 2:
                if len(path) > 2:
                    draw.line(path[:-1], fill=MARK, width=3)
                _arrow(draw, path[-2], path[-1])
                _ring(draw, *path[0], RING // 2)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)  # optimize=True costs 5x the time for ~5%
    return out.getvalue()


def encode(png: bytes, fmt: str) -> tuple[bytes, str]:
    """The image as stored in reports, (bytes, mime): PNG as is, or lossy at LOSSY_QUALITY.

    WebP is the one that pays on real pages: text-heavy screenshots compress worse as JPEG
    than as PNG (see benchmarks/README.md), WebP halves them and keeps text legible.
    """
    if fmt == "png":
        return png, MIME["png"]
    with Image.open(io.BytesIO(png)) as source:
        out = io.BytesIO()
        source.convert("RGB").save(out, fmt.upper(), quality=LOSSY_QUALITY)
    return out.getvalue(), MIME[fmt]
