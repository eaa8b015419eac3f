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
POINT_ACTIONS = ("click", "double_click", "move", "drag")  # verified by the element hit
FOCUS_ACTIONS = ("type", "keypress")  # verified by the focused element

_HELPERS = r"""
const clean = s => (s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
const INTERACTIVE = 'a[href],button,input,select,textarea,label,summary,[role],[onclick],'
  + '[tabindex],[contenteditable="true"]';
const roleOf = el => {
  const explicit = el.getAttribute('role'); if (explicit) return explicit;
  const tag = el.tagName.toLowerCase(), type = (el.getAttribute('type') || 'text').toLowerCase();
  if (tag === 'a' && el.hasAttribute('href')) return 'link';
  if (tag === 'button' || (tag === 'input' && ['button', 'submit', 'reset'].includes(type)))
    return 'button';
  if (tag === 'input') return {checkbox: 'checkbox', radio: 'radio', range: 'slider',
    number: 'spinbutton', search: 'searchbox'}[type] || 'textbox';
  if (tag === 'textarea') return 'textbox';
  if (tag === 'select') return 'combobox';
  if (/^h[1-6]$/.test(tag)) return 'heading';
  return {img: 'img', li: 'listitem', summary: 'button', dialog: 'dialog', option: 'option'}[tag]
    || '';
};
const nameOf = el => {
  const aria = el.getAttribute('aria-label'); if (aria) return clean(aria);
  const by = el.getAttribute('aria-labelledby');
  if (by) return clean(by.split(/\s+/).map(id => {
    const t = document.getElementById(id); return t ? t.innerText : ''; }).join(' '));
  const tag = el.tagName.toLowerCase();
  if (['input', 'select', 'textarea'].includes(tag)) {
    if (['button', 'submit', 'reset'].includes(el.type)) return clean(el.value);
    const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
      || el.closest('label');
    if (label) return clean(label.innerText);
    return clean(el.getAttribute('placeholder') || el.getAttribute('title')
      || el.getAttribute('name'));
  }
  if (tag === 'img') return clean(el.getAttribute('alt'));
  return clean(el.innerText || el.getAttribute('title'));
};
const selectorOf = el => {
  if (el.id && document.querySelectorAll('#' + CSS.escape(el.id)).length === 1)
    return '#' + CSS.escape(el.id);
  const testid = el.getAttribute('data-testid');
  if (testid) return `[data-testid="${testid}"]`;
  const parts = [];
  for (let e = el; e && e.nodeType === 1 && e !== document.documentElement; e = e.parentElement) {
    if (e.id && document.querySelectorAll('#' + CSS.escape(e.id)).length === 1) {
      parts.unshift('#' + CSS.escape(e.id)); break; }
    const tag = e.tagName.toLowerCase(), parent = e.parentElement;
    const same = parent ? [...parent.children].filter(c => c.tagName === e.tagName) : [e];
    parts.unshift(same.length > 1 ? `${tag}:nth-of-type(${same.indexOf(e) + 1})` : tag);
  }
  return parts.join(' > ');
};
const fingerprint = (el, x, y) => {
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const tag = el.tagName.toLowerCase(), whole = tag === 'html' || tag === 'body';
  const text = whole || ['input', 'select', 'textarea'].includes(tag) ? '' : clean(el.innerText);
  const fp = {tag, role: roleOf(el), name: whole ? '' : nameOf(el), text,
    selector: selectorOf(el), box: [r.left, r.top, r.width, r.height].map(Math.round)};
  if (x !== undefined && r.width && r.height)
    fp.at = [(x - r.left) / r.width, (y - r.top) / r.height].map(v => Math.round(v * 100) / 100);
  return fp;
};
const target = el => (el && el.closest(INTERACTIVE)) || el;
"""

# The element an action at (x, y) CSS pixels would hit, climbing to its control.
AT_POINT_JS = "([x, y]) => {" + _HELPERS + """
  return fingerprint(target(document.elementFromPoint(x, y)), x, y);
}"""

# The element keys go to.
FOCUSED_JS = "() => {" + _HELPERS + """
  return fingerprint(document.activeElement || document.body);
}"""

# Where the fingerprinted element is now: scrolled into view, the point at the recorded
# offset in its box, or why it cannot be used. `focus` moves keyboard focus to it instead.
LOCATE_JS = "([want, focus]) => {" + _HELPERS + """
  const same = el => { const fp = fingerprint(el);
    return fp.tag === want.tag && fp.role === want.role && fp.name === want.name
      && fp.text === want.text; };
  const shown = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility === 'visible'; };
  let found = [...document.querySelectorAll(want.tag)].filter(el => shown(el) && same(el));
  if (!found.length) return {error: 'not found'};
  if (found.length > 1) {
    let bySelector = null;
    try { bySelector = document.querySelector(want.selector); } catch (e) {}
    if (bySelector && found.includes(bySelector)) found = [bySelector];
    else {
      const [bx, by] = want.box || [0, 0];
      const dist = el => { const r = el.getBoundingClientRect();
        return Math.hypot(r.left - bx, r.top - by); };
      found.sort((a, b) => dist(a) - dist(b));
    }
  }
  const el = found[0];
  if (focus) { el.focus(); return {focused: document.activeElement === el}; }
  let r = el.getBoundingClientRect();
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
    el.scrollIntoView({block: 'center', inline: 'center'}); r = el.getBoundingClientRect(); }
  const [ax, ay] = want.at || [0.5, 0.5];
  const x = r.left + ax * r.width, y = r.top + ay * r.height;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === el || el.contains(hit) || target(hit) === el))
    return {error: 'covered', by: fingerprint(target(hit))};
  return {x, y, count: found.length};
}"""

# The visible text and control states a check or answer was judged on, in DOM order.
EVIDENCE_JS = "() => {" + _HELPERS + r"""
  const W = innerWidth, H = innerHeight, out = [];
  const inView = r => r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
    && r.top < H && r.left < W;
  const walker = document.createTreeWalker(document.body || document.documentElement,
    NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.data.replace(/\s+/g, ' ').trim(), p = n.parentElement;
    if (!text || !p || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(p.tagName)) continue;
    const s = getComputedStyle(p);
    if (s.visibility !== 'visible' || s.opacity === '0') continue;
    range.selectNodeContents(n);
    if (inView(range.getBoundingClientRect())) out.push(text);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !inView(el.getBoundingClientRect())) continue;
    const name = nameOf(el);
    if (el.type === 'checkbox' || el.type === 'radio')
      out.push(`[${el.type} ${name}: ${el.checked ? 'checked' : 'not checked'}]`);
    else if (el.hasAttribute('data-cua-secret'))
      out.push(`[${el.type || 'field'} ${name}: (secret)]`);
    else if (el.type === 'password')
      out.push(`[password ${name}: ${el.value ? 'filled' : 'empty'}]`);
    else out.push(`[${el.tagName.toLowerCase()} ${name}: ${JSON.stringify(el.value)}]`);
  }
  return out;
}"""


def label(fp: dict[str, Any] | None) -> str:
    """A fingerprint as a person would name the element: `button "Add errand"`."""
    if not fp:
        return "nothing"
    if fp.get("tag") in ("html", "body"):
        return f"the page itself <{fp['tag']}>"
    kind = fp.get("role") or fp.get("tag") or "element"
    name = fp.get("name") or fp.get("text")
    return f'{kind} "{name}"' if name else f"{kind} <{fp.get('tag')}>"


def differences(expected: dict[str, Any], found: dict[str, Any] | None) -> list[str]:
    """How `found` differs from `expected` in what identifies an element; [] when the same."""
    if found is None:
        return ["no element there"]
    if expected.get("tag") in ("body", "html"):  # nothing focused: the page itself
        return [] if found.get("tag") == expected.get("tag") else [
            f"tag {expected.get('tag')!r} -> {found.get('tag')!r}"]
    return [f"{key} {expected.get(key)!r} -> {found.get(key)!r}"
            for key in IDENTITY if expected.get(key) != found.get(key)]


def evidence_changes(expected: list[str], found: list[str], limit: int = 12) -> list[str]:
    """The lines that differ between recorded and current page evidence, +/- prefixed."""
    changes = [line for line in difflib.ndiff(expected, found) if line[:2] in ("- ", "+ ")]
    if len(changes) > limit:
        changes = [*changes[:limit], f"... and {len(changes) - limit} more"]
    return changes
