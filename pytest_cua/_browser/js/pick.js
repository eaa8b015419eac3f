// The elements an exported test names, marked for Playwright's locator generator
// (Locator.normalize()) with `data-cua-pick` ids, and what to assert on each.
// A path is the positional path js/evidence.js gives each line (`/body/div[1]/#shadow/
// ul[1]/li[2]`, `slotted[i]` for assigned nodes); a text line's path is its parent's.
const PICK = 'data-cua-pick';
const byPath = path => {
  let node = document.body || document.documentElement;
  for (const part of path.split('/').slice(2)) {
    if (!node) return null;
    if (part === '#shadow') { node = node.shadowRoot; continue; }
    let m = /^slotted\[(\d+)\]$/.exec(part);
    if (m) { node = node.assignedNodes({flatten: true})[m[1] - 1]; continue; }
    m = /^(.+)\[(\d+)\]$/.exec(part);
    if (!m) return null;
    let count = 0, found = null;
    for (let c = node.firstChild; c && !found; c = c.nextSibling)
      if (c.nodeType === 1 && c.tagName.toLowerCase() === m[1] && ++count === +m[2]) found = c;
    node = found;
  }
  return node && (node.nodeType === 1 ? node : node.parentElement);
};
let picked = 0;
const mark = el => { if (!el.hasAttribute(PICK)) el.setAttribute(PICK, `p${picked++}`);
  return el.getAttribute(PICK); };
const TRANSPARENT_BG = c => !c || c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
const DECORATION = {struck: 'line-through', underlined: 'underline', overlined: 'overline'};
// What makes a look token true, on the element that holds it (a strike-through or a
// background may be drawn by an ancestor).
const lookOf = (el, token) => {
  const s = getComputedStyle(el);
  if (DECORATION[token]) {
    for (let e = el; e && e.nodeType === 1; e = up(e)) {
      const line = getComputedStyle(e).textDecorationLine || '';
      if (line.includes(DECORATION[token]))
        return {id: mark(e), prop: 'text-decoration-line', value: line};
    }
    return null;
  }
  if (token === 'background') {
    for (let e = el; e && e.nodeType === 1; e = up(e)) {
      const bg = getComputedStyle(e).backgroundColor;
      if (!TRANSPARENT_BG(bg)) return {id: mark(e), prop: 'background-color', value: bg};
    }
    return null;
  }
  const prop = {color: 'color', bold: 'font-weight', italic: 'font-style'}[token];
  return prop ? {id: mark(el), prop, value: s.getPropertyValue(prop)} : null;
};
