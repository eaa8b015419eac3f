"""User-facing locators for what a step touched and showed, chosen by Playwright itself.

An exported test (`--cua-export`) names elements the way `playwright codegen` does: test id,
role and name, label, placeholder, alt text, text, scoped by a container where one is not
unique. That choice is Playwright's own generator (`Locator.normalize()`, Playwright 1.59
and later): the element is marked with a `data-cua-pick` id, the marker's locator is
normalized to Python code, and the mark is taken away again. The generator's
code starts at the top document, frames as a `content_frame` chain; open shadow roots are
pierced by Playwright's CSS engine.

Without `normalize()` (an older Playwright) the locator is built from the fingerprint (role
and name, else text) and said to be weak, so the export can say so plainly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from .._core.drive import Probe
from . import scripts

PICK = "data-cua-pick"
# What a fingerprint gains when an action's element is named (cassettes keep them): its
# locator, why it is weak, its checked state and input type, and a drag's drop locator.
KEYS = ("locator", "weak", "checked", "input", "to")
CHAIN = ".content_frame."  # how a locator continues inside a frame element's document

_HELPERS = scripts.load("helpers.js")
_PICK_JS = "const __pick = (arg) => {" + _HELPERS + scripts.load("pick.js")
# Mark one element (a handle) and say what it is: an exported action depends on it.
MARK_JS = _PICK_JS + """
  const el = arg;
  return {id: mark(el), tag: el.tagName.toLowerCase(), input: (el.type || '').toLowerCase(),
    checked: el.type === 'checkbox' || el.type === 'radio' ? el.checked
      : el.hasAttribute('aria-checked') ? el.getAttribute('aria-checked') === 'true' : null};
}; return __pick;"""
# Mark the element of an evidence line and the holders of its look (see pick.js).
LINE_JS = _PICK_JS + """
  const [path, tokens] = arg;
  const el = byPath(path);
  if (!el) return null;
  return {id: mark(el), text: clean(el.innerText || el.textContent || ''),
    looks: tokens.map(t => lookOf(el, t)).filter(Boolean)};
}; return __pick;"""
# The boxes of evidence lines' elements in this document's viewport (a mismatch's outline).
BOXES_JS = _PICK_JS + """
  return arg.map(path => { const el = byPath(path); if (!el) return null;
    const r = el.getBoundingClientRect();
    return r.width && r.height ? [r.left, r.top, r.width, r.height] : null; });
}; return __pick;"""
UNMARK_JS = ("() => {" + _HELPERS + f"for (const el of deepAll(document)) "
             f"el.removeAttribute('{PICK}'); }}")
_FRAME_PREFIX = re.compile(r'\[frame (?:"((?:[^"\\]|\\.)*)" \(([^)]*)\)|(\S+))\] ')


def _call(where: Any, script: str, arg: Any = None) -> Any:
    """A page call running one of the scripts above in a frame (`arg` given) or on an
    element handle (the element is the argument)."""
    return partial(where.evaluate, f"(arg) => (() => {{ {script} }})()(arg)", arg)


def normalize_supported(frame: Any) -> bool:
    """Whether this Playwright has its locator generator (1.59 and later)."""
    return hasattr(frame.locator("body"), "normalize")


def _normalized(frame: Any, pick_id: str) -> Probe[str | None]:
    """The Python code of the marked element's locator, as Playwright's generator writes
    it; None without a generator or when the element went away."""
    locator = frame.locator(f'[{PICK}="{pick_id}"]')
    if not hasattr(locator, "normalize"):
        return None
    found = yield locator.normalize
    return None if isinstance(found, Exception) else str(found)


def handle_locator(frame: Any, handle: Any, fp: dict | None = None) -> Probe[dict[str, Any]]:
    """The locator of the element a handle points at, in `frame`: {locator, tag, input
    (its type), checked}; `weak` says why when it is not user-facing."""
    info = yield _call(handle, MARK_JS)
    if isinstance(info, Exception) or not isinstance(info, dict):
        return {}
    code = yield from _normalized(frame, info.pop("id"))
    yield partial(frame.evaluate, UNMARK_JS)
    if code is None:
        code = in_frames(fp or {}, fallback(fp or {}))
        info["weak"] = "built from the fingerprint: this Playwright has no Locator.normalize()"
    elif weakness(code):
        info["weak"] = weakness(code)
    info["locator"] = code
    return info


def in_frames(fp: dict, code: str) -> str:
    """A locator built without the generator, inside the frames the fingerprint names
    (the generator's own code already starts at the top document)."""
    hops = [f"locator({json.dumps(hop.get('selector') or 'iframe')})"
            for hop in fp.get("frames") or []]
    return CHAIN.join([*hops, code])


def fallback(fp: dict) -> str:
    """A locator from a fingerprint alone (role and name, else text, else its selector)."""
    role, name, text = fp.get("role"), fp.get("name"), fp.get("text")
    if role and name:
        return f"get_by_role({json.dumps(role)}, name={json.dumps(name)}, exact=True)"
    if text:
        return f"get_by_text({json.dumps(text)}, exact=True)"
    return f"locator({json.dumps(fp.get('selector') or fp.get('tag') or 'body')})"


def weakness(code: str) -> str:
    """Why a locator is not user-facing ("" when it is): a position or a CSS chain."""
    if ".nth(" in code or ".first" in code or ".last" in code:
        return "picks by position (nth): give the element a test id or a unique name"
    last = code.rsplit(CHAIN, 1)[-1]
    if last.startswith("locator(") and "internal:" not in last:
        return "a CSS selector: give the element a test id, a label or a role and name"
    return ""


def split_frames(path: str) -> tuple[list[dict[str, str]], str]:
    """An evidence path's frame hops ({name, path}) and the path inside the last frame."""
    hops = []
    while match := _FRAME_PREFIX.match(path):
        name, url, bare = match.groups()
        hops.append({"name": (name or "").replace('\\"', '"'), "path": url or bare or ""})
        path = path[match.end():]
    return hops, path


def boxes(main_frame: Any, paths: Sequence[str], find_frame: Any
          ) -> Probe[list[list[float]]]:
    """The boxes ([x, y, width, height] in the top page's viewport) of the elements these
    evidence lines came from, frames included; those gone are left out."""
    out: list[list[float]] = []
    for path in paths:
        hops, inner = split_frames(path)
        frame, dx, dy = main_frame, 0.0, 0.0
        for hop in hops:
            found = yield from find_frame(frame, hop)
            if not found:
                frame = None
                break
            frame, dx, dy = found[0], dx + found[1]["box"][0], dy + found[1]["box"][1]
        if frame is None or inner == "address":
            continue
        seen = yield _call(frame, BOXES_JS, [inner])
        if not isinstance(seen, Exception) and seen and seen[0]:
            box = seen[0]
            out.append([box[0] + dx, box[1] + dy, box[2], box[3]])
    return out


def lines(main_frame: Any, wanted: Sequence[tuple[str, Sequence[str]]],
          find_frame: Any) -> Probe[list[dict[str, Any] | None]]:
    """For each (evidence path, look tokens): {locator, text, looks: [{locator, prop,
    value}]} of the element the line came from, or None where it is gone.

    `find_frame(frame, hop)` is the probe that finds a recorded frame hop (`frames`)."""
    out: list[dict[str, Any] | None] = []
    for path, tokens in wanted:
        hops, inner = split_frames(path)
        frame = main_frame
        for hop in hops:
            found = yield from find_frame(frame, hop)
            frame = found[0] if found else None
            if frame is None:
                break
        if frame is None or inner == "address":
            out.append(None)
            continue
        seen = yield _call(frame, LINE_JS, [inner, list(tokens)])
        if isinstance(seen, Exception) or not seen:
            out.append(None)
            continue
        codes: dict[str, str | None] = {}
        for pick_id in [seen["id"], *(look["id"] for look in seen["looks"])]:
            if pick_id not in codes:
                codes[pick_id] = yield from _normalized(frame, pick_id)
        yield partial(frame.evaluate, UNMARK_JS)
        if codes[seen["id"]] is None and seen["text"] and not hops:  # no generator: its text
            codes[seen["id"]] = fallback({"text": seen["text"]})
            codes.update({look["id"]: codes[seen["id"]] for look in seen["looks"]
                          if look["id"] == seen["id"]})
        if codes[seen["id"]] is None:
            out.append(None)
            continue
        out.append({"locator": codes[seen["id"]], "text": seen["text"],
                    "looks": [{"locator": codes[look["id"]],
                               "prop": look["prop"], "value": look["value"]}
                              for look in seen["looks"] if codes.get(look["id"])]})
    return out
