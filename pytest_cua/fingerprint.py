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

IDENTITY = ("tag", "role", "name", "text")  # what must match; selector and box may change
# verified by the element hit
POINT_ACTIONS = ("click", "double_click", "triple_click", "move", "drag")
FOCUS_ACTIONS = ("type", "keypress")  # verified by the focused element

_HELPERS = r"""
const clean = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
const INTERACTIVE = 'a[href],button,input,select,textarea,label,summary,[role],[onclick],'
  + '[tabindex],[contenteditable="true"]';
// Open shadow roots are walked like the light DOM: a design system's <x-input> is judged by
// the <input> inside it, as the user sees it. The composed parent crosses out of a root.
// The composed parent: a slotted element's slot, a shadow root's host, else the parent.
const up = e => e.assignedSlot || e.parentElement || (e.parentNode && e.parentNode.host)
  || null;
const closestDeep = (el, sel) => {
  for (let e = el; e; e = up(e)) if (e.nodeType === 1 && e.matches(sel)) return e;
  return null; };
const byId = (el, id) => {
  const root = el.getRootNode();
  return (root.getElementById && root.getElementById(id)) || document.getElementById(id); };
const deepAt = (x, y) => {
  let el = document.elementFromPoint(x, y);
  while (el && el.shadowRoot) {  // over slotted text the root answers its host: look under
    const root = el.shadowRoot;
    const inner = root.elementsFromPoint(x, y).find(e => e !== el && e.getRootNode() === root);
    if (!inner) break;
    el = inner;
  }
  return el; };
const deepActive = () => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el; };
function* deepAll(root) {
  for (const el of root.querySelectorAll('*')) {
    yield el; if (el.shadowRoot) yield* deepAll(el.shadowRoot); } }
const isFrame = el => !!el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME');
const frameOffset = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return [r.left + el.clientLeft + parseFloat(s.paddingLeft),
          r.top + el.clientTop + parseFloat(s.paddingTop)]; };
// The text a person reads on an element: innerText, or, where a shadow root renders
// slotted content (which innerText leaves out), the text of the composed tree.
const textOf = el => {
  const inner = el.innerText || '';
  if (inner.trim() || !(el.shadowRoot || el.querySelector('slot'))) return inner;
  const parts = [];
  const visit = n => {
    if (n.nodeType === 3) return parts.push(n.data);
    if (n.nodeType !== 1 || ['STYLE', 'SCRIPT'].includes(n.tagName)) return;
    if (n.tagName === 'SLOT') {
      const assigned = n.assignedNodes({flatten: true});
      if (assigned.length) return assigned.forEach(visit);
    }
    for (let c = (n.shadowRoot || n).firstChild; c; c = c.nextSibling) visit(c);
  };
  visit(el);
  return parts.join(' ');
};
const roleOf = el => {
  const explicit = el.getAttribute('role'); if (explicit) return explicit;
  const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || 'text').toLowerCase();
  if (tag === 'a' && el.hasAttribute('href')) return 'link';
  if (tag === 'button' || (tag === 'input' && ['button', 'submit', 'reset'].includes(type)))
    return 'button';
  if (tag === 'input') return {checkbox: 'checkbox', radio: 'radio', range: 'slider',
    number: 'spinbutton', search: 'searchbox', file: 'button'}[type] || 'textbox';
  if (tag === 'textarea') return 'textbox';
  if (tag === 'select') return 'combobox';
  if (/^h[1-6]$/.test(tag)) return 'heading';
  return {img: 'img', li: 'listitem', summary: 'button', dialog: 'dialog', option: 'option',
    iframe: 'frame'}[tag] || '';
};
const nameOf = el => {
  const aria = el.getAttribute('aria-label'); if (aria) return clean(aria);
  const by = el.getAttribute('aria-labelledby');
  if (by) return clean(by.split(/\s+/).map(id => {
    const t = byId(el, id); return t ? textOf(t) || t.textContent : ''; }).join(' '));
  const tag = el.tagName.toLowerCase();
  if (['input', 'select', 'textarea'].includes(tag)) {
    if (['button', 'submit', 'reset'].includes(el.type)) return clean(el.value);
    const labels = [...(el.labels || [])];
    if (!labels.length && el.closest('label')) labels.push(el.closest('label'));
    if (labels.length) return clean(labels.map(l => l.innerText || l.textContent).join(' '));
    return clean(el.getAttribute('placeholder') || el.getAttribute('title')
      || el.getAttribute('name'));
  }
  if (tag === 'img') return clean(el.getAttribute('alt'));
  if (tag === 'iframe' || tag === 'frame')
    return clean(el.getAttribute('title') || el.getAttribute('name'));
  return clean(textOf(el) || el.getAttribute('title'));
};
// A selector within the element's own tree (document or shadow root); hosts are joined
// by ' >>> ' so `deepQuery` can walk back in.
const selectorIn = el => {
  const root = el.getRootNode(), unique = id => root.querySelectorAll('#' + CSS.escape(id))
    .length === 1;
  if (el.id && unique(el.id)) return '#' + CSS.escape(el.id);
  const testid = el.getAttribute('data-testid');
  if (testid) return `[data-testid="${testid}"]`;
  const parts = [];
  for (let e = el; e && e.nodeType === 1 && e !== document.documentElement; e = e.parentElement) {
    if (e.id && unique(e.id)) { parts.unshift('#' + CSS.escape(e.id)); break; }
    const tag = e.tagName.toLowerCase(), parent = e.parentElement || e.parentNode;
    const same = parent ? [...parent.children].filter(c => c.tagName === e.tagName) : [e];
    parts.unshift(same.length > 1 ? `${tag}:nth-of-type(${same.indexOf(e) + 1})` : tag);
  }
  return parts.join(' > ');
};
const selectorOf = el => {
  const parts = [];
  for (let e = el; e; e = e.getRootNode().host || null) parts.unshift(selectorIn(e));
  return parts.join(' >>> ');
};
const deepQuery = selector => {
  let scope = document, el = null;
  for (const part of selector.split(' >>> ')) {
    if (!scope) return null;
    try { el = scope.querySelector(part); } catch (e) { return null; }
    scope = el && el.shadowRoot;
  }
  return el; };
const fingerprint = (el, x, y) => {
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const tag = el.tagName.toLowerCase(), whole = tag === 'html' || tag === 'body';
  const text = whole || ['input', 'select', 'textarea', 'iframe', 'frame'].includes(tag) ? ''
    : clean(textOf(el));
  const fp = {tag, role: roleOf(el), name: whole ? '' : nameOf(el), text,
    selector: selectorOf(el), box: [r.left, r.top, r.width, r.height].map(Math.round)};
  if (x !== undefined && r.width && r.height)
    fp.at = [(x - r.left) / r.width, (y - r.top) / r.height].map(v => Math.round(v * 100) / 100);
  return fp;
};
const target = el => (el && closestDeep(el, INTERACTIVE)) || el;
// A frame element: where its document starts, so the caller can continue inside it.
const intoFrame = (el, x, y) => { const [ox, oy] = frameOffset(el);
  return {...fingerprint(el), frame: {offset: [ox, oy], inner: [x - ox, y - oy]}}; };
"""

# The element an action at (x, y) CSS pixels would hit, climbing to its control. A frame
# hit comes back as {frame: {offset, inner}}: the caller continues inside that frame.
AT_POINT_JS = "([x, y]) => {" + _HELPERS + """
  const hit = deepAt(x, y);
  if (isFrame(hit)) return intoFrame(hit, x, y);
  return fingerprint(target(hit), x, y);
}"""

# The element under a point itself, as a handle: how the caller reaches a frame's document.
ELEMENT_AT_JS = "([x, y]) => {" + _HELPERS + " return deepAt(x, y); }"

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

# The visible text and control states a check or answer was judged on, in the order the
# page renders them: open shadow roots at their hosts, slotted content at its slot.
# `clip` ([left, top, right, bottom] in this document's pixels) limits it to the part of a
# frame that shows in the top page.
EVIDENCE_JS = "(clip) => {" + _HELPERS + r"""
  const [L, T, R, B] = clip || [0, 0, innerWidth, innerHeight], out = [];
  const inView = r => r.width > 0 && r.height > 0 && r.bottom > T && r.right > L
    && r.top < B && r.left < R;
  const range = document.createRange();
  const control = el => {
    if (el.type === 'hidden' || !inView(el.getBoundingClientRect())) return;
    const name = nameOf(el);
    if (el.type === 'checkbox' || el.type === 'radio')
      out.push(`[${el.type} ${name}: ${el.checked ? 'checked' : 'not checked'}]`);
    else if (el.hasAttribute('data-cua-secret'))
      out.push(`[${el.type || 'field'} ${name}: (secret)]`);
    else if (el.type === 'password')
      out.push(`[password ${name}: ${el.value ? 'filled' : 'empty'}]`);
    else if (el.type === 'file')
      out.push(`[file ${name}: ${[...el.files].map(f => f.name).join(', ') || 'no file'}]`);
    else out.push(`[${el.tagName.toLowerCase()} ${name}: ${JSON.stringify(el.value)}]`);
  };
  const controls = [];
  const text = n => {
    const t = n.data.replace(/\s+/g, ' ').trim(), p = n.parentElement;
    if (!t || !p || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(p.tagName)) return;
    const s = getComputedStyle(p);
    if (s.visibility !== 'visible' || s.opacity === '0') return;
    range.selectNodeContents(n);
    if (inView(range.getBoundingClientRect())) out.push(t);
  };
  const walk = node => { for (let n = node.firstChild; n; n = n.nextSibling) visit(n); };
  const visit = n => {
    if (n.nodeType === 3) return text(n);
    if (n.nodeType !== 1) return;
    if (n.tagName === 'SLOT') {
      const assigned = n.assignedNodes({flatten: true});
      if (assigned.length) return assigned.forEach(visit);
    }
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(n.tagName)) controls.push(n);
    walk(n.shadowRoot || n);
  };
  walk(document.body || document.documentElement);
  for (const el of controls) control(el);
  return {lines: out, clip: [L, T, R, B]};
}"""

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
    changes = [line for line in difflib.ndiff(expected, found) if line[:2] in ("- ", "+ ")]
    if len(changes) > limit:
        changes = [*changes[:limit], f"... and {len(changes) - limit} more"]
    return changes
