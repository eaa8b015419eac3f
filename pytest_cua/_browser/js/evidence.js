// What a person sees in the viewport, as lines in rendered order (open shadow roots at
// their hosts, slotted content at its slot): each text with how it looks, each control's
// state, each image, icon and canvas. A replay compares these lines, so they hold what
// could change a verdict (a strike-through, a colour, a selected tab's background, a
// disabled look, a broken image) and nothing that a layout shift alone changes (no
// positions or sizes of text). Besides each line, `paths` has the positional path of the
// element it came from, which is how what later turns out to be volatile is taken out of
// an earlier reading too.
//
// arg: {clip: [left, top, right, bottom] of this document that shows (frames), marked:
// CSS selectors of content to leave out (the user's, and what a recording found volatile)}.
const {clip, marked = []} = arg || {};
const [L, T, R, B] = clip || [0, 0, innerWidth, innerHeight];
const lines = [], paths = [], volatile = [], bad = [];
// Read as a screenshot shows the page: finite animations ended, endless ones at their start
// (put back once read, see animations.js).
const animations = everyAnimation();
finishAnimations(animations);
const release = holdEndless(animations);
const inView = r => r.width > 0 && r.height > 0 && r.bottom > T && r.right > L
  && r.top < B && r.left < R;
const range = document.createRange();
const TRANSPARENT = c => !c || c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
const style = new Map();
const css = el => { let s = style.get(el); if (!s) style.set(el, s = getComputedStyle(el));
  return s; };

// How an element's text looks, as tokens; what the page's body already looks like is
// left out, so plain text stays a plain line.
const looks = new Map();
const background = el => {  // the colour behind the element: its own or an ancestor's
  for (let e = el; e && e.nodeType === 1; e = up(e)) {
    const s = css(e);
    if (s.backgroundImage && s.backgroundImage !== 'none')
      return 'image ' + imageOf(s.backgroundImage);
    if (!TRANSPARENT(s.backgroundColor)) return s.backgroundColor;
  }
  return 'rgb(255, 255, 255)';
};
// The opacity an element is drawn with: its own times its ancestors' (0 hides it), each
// element's worked out once per reading.
const opacities = new Map();
const drawnOpacity = el => {
  if (!el || el.nodeType !== 1) return 1;
  if (!opacities.has(el)) {
    const own = parseFloat(css(el).opacity);
    opacities.set(el, (Number.isNaN(own) ? 1 : own) * drawnOpacity(up(el)));
  }
  return opacities.get(el); };
const opacity = el => Math.round(drawnOpacity(el) * 10) / 10;
const decorations = el => { const found = new Set();
  for (let e = el; e && e.nodeType === 1; e = up(e)) {
    const line = css(e).textDecorationLine || '';
    for (const d of line.split(' ')) if (d && d !== 'none') found.add(d);
    if (['block', 'flex', 'grid', 'list-item', 'table-cell'].includes(css(e).display)) break;
  }
  return [...found].sort(); };
const BOX = 'a[href],button,li,td,th,label,summary,[role],[aria-selected],[aria-current]';
const edge = el => {  // border and outline of the box the text sits in (a tab, a cell)
  const box = closestDeep(el, BOX) || el, s = css(box), sides = [];
  for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
    const width = parseFloat(s[`border${side}Width`]);
    sides.push(width >= 1 && s[`border${side}Style`] !== 'none'
      && !TRANSPARENT(s[`border${side}Color`])
      ? `${Math.round(width)}px ${s[`border${side}Color`]}` : '');
  }
  let out = sides.every(side => side === sides[0]) ? sides[0]
    : sides.map((side, i) => side && `${'trbl'[i]} ${side}`).filter(Boolean).join(', ');
  if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1)
    out += (out ? ', ' : '') + `outline ${s.outlineColor}`;
  return out; };
const base = (() => { const b = document.body || document.documentElement, s = css(b);
  return {color: s.color, background: background(b), weight: parseInt(s.fontWeight) || 400,
    style: s.fontStyle}; })();
const lookOf = el => {
  if (looks.has(el)) return looks.get(el);
  const s = css(el), tokens = [];
  for (const d of decorations(el))
    tokens.push({'line-through': 'struck', underline: 'underlined', overline: 'overlined'}[d]
      || d);
  const weight = parseInt(s.fontWeight) || 400;
  if (weight >= 600 && base.weight < 600) tokens.push('bold');
  if (s.fontStyle !== base.style) tokens.push(s.fontStyle);
  if (s.color !== base.color) tokens.push('color ' + s.color);
  const bg = background(el);
  if (bg !== base.background) tokens.push('background ' + bg);
  const border = edge(el);
  if (border) tokens.push('border ' + border);
  const o = opacity(el);
  if (o < 1) tokens.push('opacity ' + o);
  const control = closestDeep(el, 'button,input,select,textarea,[aria-disabled]');
  if (control && (control.disabled || control.getAttribute('aria-disabled') === 'true'))
    tokens.push('disabled');
  const root = el.getRootNode();
  if (root && root.host) tokens.push(`in <${root.host.tagName.toLowerCase()}>`);
  const look = tokens.length ? ' {' + tokens.join('; ') + '}' : '';
  looks.set(el, look);
  return look;
};

const hash = text => {  // cyrb53: a 53-bit digest, enough to tell one image from another
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) { const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677); }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0'); };
// An address as a replay can compare it: on this origin by its path (a replay runs on
// another port or host), elsewhere without the port; data by its digest, never cut.
const urlOf = url => { if (!url) return 'no source';
  if (url.startsWith('data:')) return 'data #' + hash(url);
  try { const u = new URL(url, location.href);
    return (u.origin === location.origin ? '' : `//${u.hostname}`) + u.pathname + u.search; }
  catch (e) { return '#' + hash(url); } };
const fileOf = url => { const at = urlOf(url);
  return at.startsWith('data #') || at === 'no source' ? at : at.split('?')[0].split('/').pop()
    || at; };
// A CSS image value (a url(), a gradient, a list of them): its addresses as urlOf gives
// them; a long value (a gradient of many stops) by its kind and digest.
const imageOf = value => {
  const out = value.replace(/url\((['"]?)(.*?)\1\)/g, (m, q, url) => `url(${urlOf(url)})`);
  return out.length > 100 ? out.slice(0, out.indexOf('(') + 1) + '... #' + hash(out) : out; };

// What is left out: the user's selectors (CSS, matched in the document and in every open
// shadow root) and what a recording found volatile (selectorOf's form: hosts joined by
// ' >>> ', resolved through their shadow roots).
const plain = [], deep = new Set();
for (const sel of marked) {
  const parts = sel.split(' >>> ');
  try { for (const part of parts) document.createDocumentFragment().querySelector(part); }
  catch (e) { if (!bad.includes(sel)) bad.push(sel); continue; }
  if (parts.length === 1) plain.push(sel);
  else for (const el of deepQueryAll(parts)) deep.add(el);
}
const skipped = el => el.hasAttribute('data-cua-volatile') || deep.has(el)
  || plain.some(sel => el.matches(sel));
const push = (line, path) => { lines.push(line); paths.push(path); };
const shown = el => css(el).visibility === 'visible' && opacity(el) > 0;
// A state assistive technology reads is there while the element is rendered, even where a
// component draws it itself and leaves its native control transparent.
const rendered = el => css(el).visibility === 'visible' && !closestDeep(el, '[aria-hidden="true"]');
const ARIA_STATES = [['aria-checked', {true: 'checked', false: 'not checked', mixed: 'mixed'}],
  ['aria-pressed', {true: 'pressed', false: 'not pressed', mixed: 'mixed'}],
  ['aria-selected', {true: 'selected', false: 'not selected'}],
  ['aria-expanded', {true: 'expanded', false: 'collapsed'}],
  ['aria-disabled', {true: 'disabled'}]];
const ariaState = (el, path) => {
  const states = [];
  for (const [attr, words] of ARIA_STATES) {
    const word = words[(el.getAttribute(attr) || '').trim().toLowerCase()];
    if (word) states.push(word);
  }
  const now = el.getAttribute('aria-valuetext') || el.getAttribute('aria-valuenow');
  if (now !== null) states.push(clean(now));
  if (!states.length || !rendered(el) || !inView(el.getBoundingClientRect())) return;
  push(`[${roleOf(el) || el.tagName.toLowerCase()} ${JSON.stringify(nameOf(el))}: `
    + `${states.join(', ')}]`, path);
};
const ARIA_ATTRIBUTES = [...ARIA_STATES.map(([attr]) => attr), 'aria-valuenow', 'aria-valuetext'];
const hasAria = el => ARIA_ATTRIBUTES.some(attr => el.hasAttribute(attr));

const controls = [];
const control = (el, path) => {
  const toggle = el.type === 'checkbox' || el.type === 'radio';
  if (el.type === 'hidden' || !inView(el.getBoundingClientRect())
      || !(toggle ? rendered(el) : shown(el))) return;
  const name = nameOf(el), look = lookOf(el);
  let state;
  if (el.type === 'checkbox' || el.type === 'radio') state = el.checked ? 'checked' : 'not checked';
  else if (el.hasAttribute('data-cua-secret')) state = '(secret)';
  else if (el.type === 'password') state = el.value ? 'filled' : 'empty';
  else if (el.type === 'file') state = [...el.files].map(f => f.name).join(', ') || 'no file';
  else state = JSON.stringify(el.value);
  const kind = ['checkbox', 'radio', 'password', 'file'].includes(el.type) ? el.type
    : el.hasAttribute('data-cua-secret') ? (el.type || 'field') : el.tagName.toLowerCase();
  push(`[${kind} ${name}: ${state}]${look}`, path);
};
const picture = (el, path) => {
  const r = el.getBoundingClientRect();
  if (!inView(r) || !shown(el)) return;
  const tag = el.tagName, label = clean(el.getAttribute('alt') || el.getAttribute('aria-label')
    || el.getAttribute('title') || '');
  const named = label ? ` "${label}"` : '';
  if (tag === 'IMG') {
    const broken = el.complete && el.naturalWidth === 0;
    push(`[img${named} ${fileOf(el.currentSrc || el.getAttribute('src'))}${broken ? ': broken' : ''}]`
      + lookOf(el), path);
  } else if (tag === 'CANVAS') {
    let drawn;
    try { drawn = '#' + hash(el.toDataURL()); } catch (e) { drawn = 'unreadable'; }
    push(`[canvas${named} ${el.width}x${el.height} ${drawn}]`, path);
  } else if (tag === 'svg') {
    const use = el.querySelector('use');
    const which = use ? (use.getAttribute('href') || use.getAttribute('xlink:href') || '')
      : '#' + hash(el.innerHTML.slice(0, 4000));
    push(`[icon${named} ${which}]` + lookOf(el), path);
  }
};
const cssIcon = (el, path) => {  // an icon drawn by CSS: a background image or a glyph
  const r = el.getBoundingClientRect();
  if (r.width > 64 || r.height > 64 || !inView(r) || !shown(el) || (el.textContent || '').trim())
    return;
  const s = css(el), image = s.backgroundImage || 'none';
  let glyph = '';
  for (const pseudo of ['::before', '::after']) {
    const content = getComputedStyle(el, pseudo).content;
    if (content && content !== 'none' && content !== 'normal' && content !== '""') glyph += content;
  }
  const which = image !== 'none' ? fileOf((image.match(/url\((['"]?)(.*?)\1\)/) || [])[2])
    : glyph ? (glyph.length > 20 ? '#' + hash(glyph) : glyph) : '';
  if (which) push(`[icon ${which}]` + lookOf(el), path);
};

// The page's own origin in its text (an API console showing its request URL) is left
// out, as in addresses: a replay runs on another port or host.
const ORIGIN = location.origin && location.origin !== 'null' ? location.origin : null;
const text = (n, path) => {
  let t = n.data.replace(/\s+/g, ' ').trim();
  const p = n.parentElement;
  if (ORIGIN && t.includes(ORIGIN)) t = t.split(ORIGIN).join('');
  if (!t || !p || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(p.tagName)) return;
  if (!shown(p)) return;
  range.selectNodeContents(n);
  if (inView(range.getBoundingClientRect())) push(t + lookOf(p), path);
};
const walk = (node, path) => {
  const counts = {};
  for (let n = node.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const tag = n.tagName.toLowerCase();
      counts[tag] = (counts[tag] || 0) + 1;
      visit(n, `${path}/${tag}[${counts[tag]}]`);
    } else visit(n, path);
  }
};
const visit = (n, path) => {
  if (n.nodeType === 3) return text(n, path);
  if (n.nodeType !== 1 || skipped(n)) return;
  if (watch.volatile.has(n)) {  // left out; said, so earlier readings can leave it out too
    volatile.push({path, selector: selectorOf(n), changes: watch.changes(n)});
    return;
  }
  if (n.tagName === 'SLOT') {
    const assigned = n.assignedNodes({flatten: true});
    if (assigned.length) return assigned.forEach((a, i) => visit(a, `${path}/slotted[${i + 1}]`));
  }
  const native = ['INPUT', 'SELECT', 'TEXTAREA'].includes(n.tagName);
  if (native) controls.push([n, path]);  // read once walked; its own state wins over ARIA
  else if (hasAria(n)) ariaState(n, path);
  if (!native && ['IMG', 'CANVAS', 'svg'].includes(n.tagName)) return picture(n, path);
  if (!native && !n.firstElementChild) cssIcon(n, path);
  if (n.shadowRoot) { watch.observe(n.shadowRoot); walk(n.shadowRoot, path + '/#shadow'); }
  else walk(n, path);
};
const top = document.body || document.documentElement;
visit(top, '/' + top.tagName.toLowerCase());
for (const [el, path] of controls) control(el, path);
release();
// Still changing a look by itself a moment ago (a highlight fading by script): the caller
// may read again once it settled.
const settling = watch.animating();
return {lines, paths, volatile, bad, settling, clip: [L, T, R, B]};
