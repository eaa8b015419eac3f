// Shared by every page-side script: names, roles, selectors and the composed tree (open
// shadow roots walked like the light DOM), as a person would read the page.
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
    if (labels.length) return clean(labels.map(l => textOf(l) || l.textContent).join(' '));
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
const deepQuery = selector => deepQueryAll(selector.split(' >>> '))[0] || null;
// Every element a selectorOf-form selector names. Inside a shadow root a part is anchored
// at the root (selectorIn writes a child chain from its top), so `div > div` there does
// not also match deeper down.
const deepQueryAll = parts => {
  let scopes = [document], found = [];
  parts.forEach((part, i) => {
    found = [];
    for (const scope of scopes) {
      let hits;
      try { hits = [...scope.querySelectorAll(part)]; } catch (e) { return; }
      if (scope !== document && !/^[#\[]/.test(part)) {
        const depth = part.split('>').length - 1;
        hits = hits.filter(el => { let top = el;
          for (let k = 0; k < depth && top; k++) top = top.parentElement;
          return top && top.parentNode === scope; });
      }
      found.push(...hits);
    }
    if (i < parts.length - 1) scopes = found.map(el => el.shadowRoot).filter(Boolean);
  });
  return found; };
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
