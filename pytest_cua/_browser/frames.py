"""Reading a page the way a person sees it, through frames and shadow roots.

Real apps put their controls in iframes (payment forms, embedded widgets, often from another
origin) and in web components. A script in the top document cannot see into a cross-origin
frame, so every probe here continues inside a frame through Playwright's frame API: find the
frame element at the point, take its content frame, translate the point, probe again.

Each probe is written once, as a generator of page calls (`_core.drive`), so the sync and
async executors cannot disagree about what a fingerprint or the page evidence is.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from .._core.drive import Probe
from . import fingerprint, locators

MAX_FRAME_DEPTH = 6  # frames within frames followed this deep; deeper is not a real app
SECRET_SELECTOR = "[data-cua-secret]"

# The content box of a frame element in its parent document's viewport, and the part of
# the frame's own viewport it shows: [left, top, right, bottom].
_FRAME_BOX_JS = r"""el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  const left = r.left + el.clientLeft + parseFloat(s.paddingLeft);
  const top = r.top + el.clientTop + parseFloat(s.paddingTop);
  return {box: [left, top, left + el.clientWidth - parseFloat(s.paddingLeft)
    - parseFloat(s.paddingRight), top + el.clientHeight - parseFloat(s.paddingTop)
    - parseFloat(s.paddingBottom)],
    name: (el.getAttribute('title') || el.getAttribute('name') || '').replace(/\s+/g, ' ')
      .trim().slice(0, 80)}; }"""


def url_path(url: str) -> str:
    """What identifies a frame's document across runs: its path, not its (port-bearing)
    origin or query."""
    parts = urlsplit(url)
    return parts.path or url if parts.scheme in ("http", "https", "file") else url


def _hop(fp: dict, frame: Any) -> dict[str, str]:
    return {"name": fp.get("name") or "", "path": url_path(frame.url),
            "selector": fp.get("selector") or ""}


def _descend(frame: Any, script: str, handle_script: str,
             point: list[float] | None) -> Probe[tuple[dict | None, Any, list[float] | None]]:
    """Run a fingerprint script, following frame hits into the frame: (fingerprint, frame,
    the point in that frame's viewport).

    The fingerprint of an element inside frames carries `frames`, the hops from the top.
    """
    hops: list[dict[str, str]] = []
    fp: dict | None = None
    for _ in range(MAX_FRAME_DEPTH):
        arg = point
        fp = yield partial(frame.evaluate, script, *([] if arg is None else [arg]))
        if not isinstance(fp, dict) or "frame" not in fp:
            break
        inside = fp.pop("frame")
        handle = yield partial(frame.evaluate_handle, handle_script,
                               *([] if arg is None else [arg]))
        child = yield handle.content_frame
        yield handle.dispose
        if child is None or isinstance(child, Exception):
            break  # a frame not loaded (yet): the frame element is what was touched
        hops.append(_hop(fp, child))
        frame = child
        if point is not None:
            point = inside["inner"]
    if isinstance(fp, Exception):
        raise fp
    if fp is not None and hops:
        fp["frames"] = hops
    return fp, frame, point


def _located(fp: dict | None, frame: Any, handle_script: str,
             point: list[float] | None) -> Probe[dict | None]:
    """The fingerprint with the locator an export names the element by (`locators`)."""
    if fp is None:
        return fp
    handle = yield partial(frame.evaluate_handle, handle_script,
                           *([] if point is None else [point]))
    if isinstance(handle, Exception):
        return fp
    found = yield from locators.handle_locator(frame, handle, fp)
    yield handle.dispose
    fp.update({key: found[key] for key in locators.KEYS if found.get(key) is not None})
    return fp


def element_at(frame: Any, x: float, y: float, locate: bool = False) -> Probe[dict | None]:
    """The fingerprint of what a pointer action at (x, y) of the viewport touches; with
    `locate`, its user-facing locator too."""
    fp, inner, point = yield from _descend(frame, fingerprint.AT_POINT_JS,
                                           fingerprint.ELEMENT_AT_JS, [x, y])
    if locate:
        fp = yield from _located(fp, inner, fingerprint.TARGET_AT_JS, point)
    return fp


def focused(frame: Any, locate: bool = False) -> Probe[dict | None]:
    """The fingerprint of the element keys go to, inside frames and shadow roots; with
    `locate`, its user-facing locator too."""
    fp, inner, _ = yield from _descend(frame, fingerprint.FOCUSED_JS,
                                       fingerprint.FOCUSED_ELEMENT_JS, None)
    if locate:
        fp = yield from _located(fp, inner, fingerprint.FOCUSED_ELEMENT_JS, None)
    return fp


def mark_secret(frame: Any) -> Probe[bool]:
    """Mark the focused field as holding a secret, in whichever frame has the focus."""
    _, inner, _ = yield from _descend(frame, fingerprint.FOCUSED_JS,
                                   fingerprint.FOCUSED_ELEMENT_JS, None)
    marked = yield (lambda: inner.evaluate(fingerprint.MARK_SECRET_JS))
    return marked is True


def _frame_box(child: Any) -> Probe[dict | None]:
    """The frame element's content box in its parent's viewport and its name (see
    _FRAME_BOX_JS), or None for a frame that went away while we looked."""
    element = yield (lambda: child.frame_element())
    if isinstance(element, Exception):
        return None
    info = yield (lambda: element.evaluate(_FRAME_BOX_JS))
    return None if isinstance(info, Exception) else info


def _child_frame(frame: Any, hop: dict) -> Probe[tuple[Any, dict] | None]:
    """The child frame a recorded hop names, with its box in the parent's viewport."""
    candidates = [c for c in frame.child_frames
                  if not c.is_detached() and url_path(c.url) == hop.get("path")]
    for child in candidates:
        info = yield from _frame_box(child)
        if info is None:
            continue
        if info["name"] == hop.get("name") or len(candidates) == 1:
            return child, info
    return None


def locate(frame: Any, want: dict, focus: bool = False) -> Probe[dict]:
    """Where a fingerprinted element is now, in viewport pixels of the top page.

    {x, y} to aim at, {focused} when `focus` moved the keyboard focus to it, or {error}
    (with `by`, the fingerprint of what covers it, when covered).
    """
    boxes = []
    for hop in want.get("frames") or []:
        found_frame = yield from _child_frame(frame, hop)
        if found_frame is None:
            return {"error": "not found", "missing_frame": hop}
        frame, info = found_frame
        boxes.append(info["box"])
    found = yield (lambda: frame.evaluate(fingerprint.LOCATE_JS, [want, focus]))
    if isinstance(found, Exception):
        raise found
    if "x" in found and boxes:
        found = {**found, "x": found["x"] + sum(b[0] for b in boxes),
                 "y": found["y"] + sum(b[1] for b in boxes)}
    return found


def outlines(frame: Any, paths: Sequence[str]) -> Probe[list[list[float]]]:
    """Where the elements of these evidence lines are drawn, in the top page's viewport."""
    return (yield from locators.boxes(frame, paths, _child_frame))


def line_locators(frame: Any, wanted: Sequence[tuple[str, Sequence[str]]]
                  ) -> Probe[list[dict[str, Any] | None]]:
    """The locators of the elements evidence lines came from (see `locators.lines`)."""
    return (yield from locators.lines(frame, wanted, _child_frame))


def evidence(frame: Any, marked: Sequence[str] = (), clip: list[float] | None = None,
             depth: int = 0, prefix: str = "") -> Probe[dict[str, Any]]:
    """The viewport's evidence (see js/evidence.js), frames included: `lines`, the `paths`
    of the elements they came from, the `volatile` elements left out, `bad` selectors.

    A frame's lines and paths start with `[frame "name" (/path)] `, so a change inside an
    embedded app shows as a change in that app, wherever its lines land in the page.
    """
    seen = yield (lambda: frame.evaluate(fingerprint.EVIDENCE_JS,
                                         {"clip": clip, "marked": list(marked)}))
    if isinstance(seen, Exception):
        if depth == 0:
            raise seen
        return {"lines": [], "paths": [], "volatile": [], "bad": [],  # a frame going away
                "settling": False}
    found: dict[str, Any] = {"lines": [prefix + line for line in seen["lines"]],
             "paths": [prefix + path for path in seen["paths"]],
             "volatile": [{**v, "path": prefix + v["path"]} for v in seen["volatile"]],
             "bad": list(seen["bad"]), "settling": bool(seen.get("settling"))}
    clip = seen["clip"]
    if depth >= MAX_FRAME_DEPTH:
        return found
    for child in frame.child_frames:
        if child.is_detached():
            continue
        info = yield from _frame_box(child)
        if info is None:
            continue
        # What of the frame shows through its parent's visible part, in its own pixels.
        box = info["box"]
        left, top = max(box[0], clip[0]), max(box[1], clip[1])
        right, bottom = min(box[2], clip[2]), min(box[3], clip[3])
        if right <= left or bottom <= top:
            continue
        inner = [left - box[0], top - box[1], right - box[0], bottom - box[1]]
        label = fingerprint.frame_label({"name": info["name"], "path": url_path(child.url)})
        inside = yield from evidence(child, marked, inner, depth + 1, f"{prefix}[{label}] ")
        for key in ("lines", "paths", "volatile", "bad"):
            found[key] += [b for b in inside[key] if key != "bad" or b not in found["bad"]]
        found["settling"] = found["settling"] or inside["settling"]
    return found


def masks(page: Any) -> list[Any]:
    """Locators of every field holding a typed secret, in every frame of the page."""
    return [frame.locator(SECRET_SELECTOR) for frame in page.frames if not frame.is_detached()]
