"""What an action touched and what a page showed, in a form that survives layout changes.

A fingerprint names an element the way a person would (tag, role, accessible name, visible
text) plus a selector and its box, so a replay can tell "same button, moved" from "another
button". Page evidence is the visible text and control states a check was judged on: a
recorded verdict may only be reused while the evidence is unchanged.

The JavaScript runs in the page (the executor evaluates it); the comparisons are pure.
"""

from __future__ import annotations

import difflib
from typing import Any

from . import scripts

IDENTITY = ("tag", "role", "name", "text")  # what must match; selector and box may change
# verified by the element hit
POINT_ACTIONS = ("click", "double_click", "triple_click", "move", "drag")
FOCUS_ACTIONS = ("type", "keypress")  # verified by the focused element

_HELPERS = scripts.load("helpers.js")

# The element an action at (x, y) CSS pixels would hit, climbing to its control. A frame
# hit comes back as {frame: {offset, inner}}: the caller continues inside that frame.
AT_POINT_JS = "([x, y]) => {" + _HELPERS + """
  const hit = deepAt(x, y);
  if (isFrame(hit)) return intoFrame(hit, x, y);
  return fingerprint(target(hit), x, y);
}"""

# The element under a point itself, as a handle: how the caller reaches a frame's document.
ELEMENT_AT_JS = "([x, y]) => {" + _HELPERS + " return deepAt(x, y); }"

# The control an action at (x, y) touches, as a handle: what an export names.
TARGET_AT_JS = "([x, y]) => {" + _HELPERS + " return target(deepAt(x, y)); }"

# The element keys go to; a focused frame comes back as {frame: ...} to continue inside.
FOCUSED_JS = "() => {" + _HELPERS + """
  const el = deepActive() || document.body;
  if (isFrame(el)) return {...fingerprint(el), frame: {offset: frameOffset(el)}};
  return fingerprint(el);
}"""

FOCUSED_ELEMENT_JS = "() => {" + _HELPERS + " return deepActive(); }"

# Where the fingerprinted element is now: scrolled into view, the point at the recorded
# offset in its box, or why it cannot be used. `focus` moves keyboard focus to it instead.
LOCATE_JS = "([want, focus]) => {" + _HELPERS + """
  const same = el => { const fp = fingerprint(el);
    return fp.tag === want.tag && fp.role === want.role && fp.name === want.name
      && fp.text === want.text; };
  const shown = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility === 'visible'; };
  let found = [...deepAll(document)].filter(el => el.tagName.toLowerCase() === want.tag
    && shown(el) && same(el));
  if (!found.length) return {error: 'not found'};
  if (found.length > 1) {
    const bySelector = deepQuery(want.selector || '');
    if (bySelector && found.includes(bySelector)) found = [bySelector];
    else {
      const [bx, by] = want.box || [0, 0];
      const dist = el => { const r = el.getBoundingClientRect();
        return Math.hypot(r.left - bx, r.top - by); };
      found.sort((a, b) => dist(a) - dist(b));
    }
  }
  const el = found[0];
  if (focus) { el.focus(); return {focused: deepActive() === el}; }
  let r = el.getBoundingClientRect();
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
    el.scrollIntoView({block: 'center', inline: 'center'}); r = el.getBoundingClientRect(); }
  const [ax, ay] = want.at || [0.5, 0.5];
  const x = r.left + ax * r.width, y = r.top + ay * r.height;
  const hit = deepAt(x, y);
  if (!hit || !(hit === el || el.contains(hit) || target(hit) === el))
    return {error: 'covered', by: fingerprint(target(hit))};
  return {x, y, count: found.length};
}"""

# The page evidence a step is judged on (see js/evidence.js): text with how it looks,
# control states, images, canvases, in rendered order; what changes by itself left out.
EVIDENCE_JS = ("(arg) => {" + _HELPERS + scripts.load("watch.js") + scripts.load("animations.js")
               + scripts.load("evidence.js") + "}")

# Marks the focused field (inside open shadow roots too) as holding a typed secret, so
# screenshots mask it.
MARK_SECRET_JS = "() => {" + _HELPERS + """
  const el = deepActive();
  if (!el || el === document.body || isFrame(el)) return false;
  el.setAttribute('data-cua-secret', ''); return true;
}"""


def frame_label(frame: dict[str, Any]) -> str:
    """A frame as a person would name it: `frame "Payment" (/pay.html)`."""
    name = frame.get("name")
    return f'frame "{name}" ({frame.get("path")})' if name else f"frame {frame.get('path')}"


def _frames(fp: dict[str, Any]) -> list[tuple[str, str]]:
    return [(hop.get("name", ""), hop.get("path", "")) for hop in fp.get("frames") or []]


def label(fp: dict[str, Any] | None) -> str:
    """A fingerprint as a person would name it: `button "Pay" in frame "Checkout" (/pay)`."""
    if not fp:
        return "nothing"
    if fp.get("tag") in ("html", "body"):
        text = f"the page itself <{fp['tag']}>"
    else:
        kind = fp.get("role") or fp.get("tag") or "element"
        name = fp.get("name") or fp.get("text")
        text = f'{kind} "{name}"' if name else f"{kind} <{fp.get('tag')}>"
    hops = fp.get("frames") or []
    return text + "".join(f" in {frame_label(hop)}" for hop in reversed(hops))


def differences(expected: dict[str, Any], found: dict[str, Any] | None) -> list[str]:
    """How `found` differs from `expected` in what identifies an element; [] when the same.

    The frames an element sits in are part of its identity: the same button in another
    embedded app is another button.
    """
    if found is None:
        return ["no element there"]
    changes = []
    if _frames(expected) != _frames(found):
        def where(fp: dict) -> str:
            return " > ".join(frame_label(h) for h in fp.get("frames") or []) or "top page"
        changes.append(f"frame {where(expected)!r} -> {where(found)!r}")
    if expected.get("tag") in ("body", "html"):  # nothing focused: the page itself
        if found.get("tag") != expected.get("tag"):
            changes.append(f"tag {expected.get('tag')!r} -> {found.get('tag')!r}")
        return changes
    return changes + [f"{key} {expected.get(key)!r} -> {found.get(key)!r}"
                      for key in IDENTITY if expected.get(key) != found.get(key)]


def evidence_changes(expected: list[str], found: list[str], limit: int = 12) -> list[str]:
    """The lines that differ between recorded and current page evidence, +/- prefixed."""
    return limited([line for line in difflib.ndiff(expected, found)
                    if line[:2] in ("- ", "+ ")], limit)


def limited(lines: list[str], limit: int = 12) -> list[str]:
    """At most `limit` lines of a difference, and how many more there were."""
    if len(lines) > limit:
        return [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines
