"""Screenshots in reports: each stored once, with the model's actions drawn over it.

A report keeps one encoded copy of each screenshot (WebP by default: a busy 1280x720 page
in about 35 KiB, text still legible) and draws the actions as SVG on top, in the
screenshot's own pixels (the coordinate space the model used), so a marker sits on the
point the model aimed at at any zoom. The trail viewer lays the same SVG over its image;
pytest-html and Allure get one SVG file that holds the image and the markers.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Iterable, Sequence
from html import escape

from PIL import Image

MARK = "#ff00ff"  # magenta: rare on real pages, visible on light and dark ones
OUTLINE = "#e53935"  # red, dashed: an element that differs from the recording
RING = 16
REPORT_FORMATS = ("webp", "png", "jpeg", "off")
LOSSY_QUALITY = 75
# A lossy screenshot larger than this is encoded again at a lower quality (not below
# FLOOR_QUALITY): pages of pure grain or noise are the rare ones that need it.
BUDGET = 48 * 1024
FLOOR_QUALITY = 40
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
POINTED = ("click", "double_click", "triple_click", "move", "scroll", "mouse_down",
           "mouse_up")


@functools.lru_cache(maxsize=32)  # a screen that did not change between turns: once
def encode(screenshot: bytes, fmt: str) -> tuple[bytes, str]:
    """The screenshot as a report stores it, (bytes, mime): PNG exactly, or lossy.

    WebP is the default because it pays on real pages: text-heavy screenshots compress
    worse as JPEG than as PNG, while WebP at quality 75 is a fraction of either and keeps
    text legible (`benchmarks/README.md`).
    """
    with Image.open(io.BytesIO(screenshot)) as source:
        if fmt == "png" and source.format == "PNG":
            return screenshot, MIME["png"]
        out = io.BytesIO()
        image = source.convert("RGB")
        if fmt == "png":
            image.save(out, "PNG", compress_level=6)
        else:
            _lossy(image, out, fmt, LOSSY_QUALITY)
            if out.tell() > BUDGET:  # size shrinks about in step with quality
                quality = max(FLOOR_QUALITY, int(LOSSY_QUALITY * BUDGET / out.tell()))
                out = io.BytesIO()
                _lossy(image, out, fmt, quality)
    return out.getvalue(), MIME[fmt]


def _lossy(image: Image.Image, out: io.BytesIO, fmt: str, quality: int) -> None:
    if fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        image.save(out, "JPEG", quality=quality)


def _point(data: dict) -> tuple[float, float] | None:
    x, y = data.get("x"), data.get("y")
    if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
        return float(x), float(y)
    return None


def points(actions: Iterable[dict]) -> list[tuple[float, float]]:
    """Where each pointer action of a turn happened, in order: where the cursor goes."""
    found = []
    for action in actions:
        if action.get("type") == "drag":
            path = [p for p in (_point(q) for q in action.get("path") or []
                                if isinstance(q, dict)) if p]
            found += path[:1] + path[-1:]
        elif action.get("type") in POINTED and (point := _point(action)):
            found.append(point)
    return found


def _ring(x: float, y: float, radius: float, kind: str) -> str:
    return (f'<circle class="cua-mark {kind}" cx="{x:g}" cy="{y:g}" r="{radius:g}" '
            f'fill="none" stroke="{MARK}" stroke-width="3" paint-order="stroke"/>'
            f'<circle cx="{x:g}" cy="{y:g}" r="{radius + 2:g}" fill="none" stroke="#fff" '
            'stroke-width="2" opacity=".8"/>'
            f'<circle cx="{x:g}" cy="{y:g}" r="3" fill="{MARK}"/>')


def _arrow(start: tuple[float, float], end: tuple[float, float]) -> str:
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    left, right = ((end[0] - 12 * math.cos(angle + side), end[1] - 12 * math.sin(angle + side))
                   for side in (-0.5, 0.5))
    return (f'<line x1="{start[0]:g}" y1="{start[1]:g}" x2="{end[0]:g}" y2="{end[1]:g}" '
            f'stroke="{MARK}" stroke-width="3"/>'
            f'<polyline points="{left[0]:.1f},{left[1]:.1f} {end[0]:g},{end[1]:g} '
            f'{right[0]:.1f},{right[1]:.1f}" fill="none" stroke="{MARK}" stroke-width="3"/>')


def _label(x: float, y: float, text: str) -> str:
    shown = escape(text if len(text) <= 60 else text[:57] + "...")
    width = 14 + 7.4 * len(shown)
    return (f'<g class="cua-mark label"><rect x="{x:g}" y="{y:g}" width="{width:.0f}" '
            f'height="24" rx="4" fill="{MARK}" opacity=".9"/><text x="{x + 7:g}" '
            f'y="{y + 17:g}" font-family="monospace" font-size="13" fill="#fff">{shown}</text>'
            "</g>")


def markers(actions: Iterable[dict], outlines: Iterable[Sequence[float]] = ()) -> str:
    """SVG elements for a turn's actions, in screenshot pixels: a ring at a click (two
    for a double click), a small ring at a move, a ring and arrow for a scroll, the path of
    a drag, and a label for typed text and keys; a dashed outline round each element a
    replay found different (`outlines`: x, y, width, height)."""
    parts: list[str] = [
        f'<rect class="cua-mark outline" x="{x - 3:g}" y="{y - 3:g}" width="{w + 6:g}" '
        f'height="{h + 6:g}" rx="4" fill="none" stroke="{OUTLINE}" stroke-width="3" '
        'stroke-dasharray="8 4"/>' for x, y, w, h in outlines]
    labels = 0
    for action in actions:
        kind, point = action.get("type"), _point(action)
        if kind in ("click", "double_click", "triple_click", "mouse_down", "mouse_up") \
                and point:
            parts.append(_ring(*point, RING, str(kind)))
            if kind in ("double_click", "triple_click"):
                parts.append(_ring(*point, RING + 7, str(kind)))
        elif kind == "move" and point:
            parts.append(_ring(*point, RING // 2, "move"))
        elif kind == "scroll" and point:
            parts.append(_ring(*point, RING, "scroll"))
            dx, dy = action.get("scroll_x") or 0, action.get("scroll_y") or 0
            length = math.hypot(dx, dy)
            if length:
                parts.append(_arrow(point, (point[0] + 50 * dx / length,
                                            point[1] + 50 * dy / length)))
        elif kind == "drag":
            path = [p for p in (_point(q) for q in action.get("path") or []
                                if isinstance(q, dict)) if p]
            if len(path) >= 2:
                line = " ".join(f"{x:g},{y:g}" for x, y in path[:-1])
                parts.append(f'<polyline class="cua-mark drag" points="{line}" fill="none" '
                             f'stroke="{MARK}" stroke-width="3"/>')
                parts.append(_arrow(path[-2], path[-1]))
                parts.append(_ring(*path[0], RING // 2, "drag-start"))
        elif kind in ("type", "keypress", "hold_key"):
            text = (f"typed {action.get('text')!r}" if kind == "type" else
                    "key " + "+".join(str(k) for k in action.get("keys") or []))
            parts.append(_label(8, 8 + 30 * labels, text))
            labels += 1
    return "".join(parts)


def svg(image: tuple[bytes, str], size: tuple[int, int], marks: str) -> bytes:
    """One SVG file: the stored screenshot and its markers, for pytest-html and Allure."""
    width, height = size
    data = base64.b64encode(image[0]).decode("ascii")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><image href="data:{image[1]};base64,{data}" '
            f'width="{width}" height="{height}"/>{marks}</svg>').encode()
