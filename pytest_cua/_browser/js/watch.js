// Which elements change by themselves: clocks, "updated 3 s ago", tickers, rotating tips.
// Every change of the DOM made while no action runs (the settle script's `armed` flag is
// off) is counted on the element it happened to; an element seen changing its content
// (text, children, state) by itself VOLATILE_AFTER times is volatile, and the evidence
// leaves it out with all it holds.
// A change of look alone (class, inline style: a highlight that fades, a pulse) does not
// make an element volatile: its text and state are still evidence, and its look is read
// once settled: `animating()` says the page is changing looks by script, batch after
// batch (a fade, one inline style at a time), so a reading can wait for it to end; a
// single change (a click toggling a class) is no animation.
// A late effect of an action (a slow backend) changes its element once, then stays: it is
// not volatile, it is the step's outcome. Regions (more than SMALL characters of text)
// never become volatile: a changing app must not silence its own evidence.
const watch = window.__cuaWatch || (window.__cuaWatch = (() => {
  const VOLATILE_AFTER = 3, SMALL = 300, ANIMATING_MS = 400;
  const w = {counts: new WeakMap(), volatile: new Set(), roots: new WeakSet(), looks: []};
  const acting = () => { const s = window.__cuaSettle; return !!(s && s.armed); };
  const LOOK_ONLY = new Set(['class', 'style']);
  const STATE = ['src', 'hidden', 'disabled', 'aria-selected', 'aria-current', 'aria-pressed',
    'aria-checked', 'aria-expanded', 'aria-valuenow', 'aria-disabled', 'aria-hidden', 'open'];
  const observer = new MutationObserver(records => {
    const spontaneous = !acting(), seen = new Set();
    if (records.some(m => m.type === 'attributes' && LOOK_ONLY.has(m.attributeName))) {
      const now = performance.now();
      w.looks = w.looks.filter(t => now - t < ANIMATING_MS);
      w.looks.push(now);
    }
    for (const m of records) {
      for (const added of m.addedNodes || []) if (added.nodeType === 1) w.observeDeep(added);
      if (!spontaneous || (m.type === 'attributes' && LOOK_ONLY.has(m.attributeName))) continue;
      const el = m.type === 'characterData' ? m.target.parentElement : m.target;
      if (!el || el.nodeType !== 1 || seen.has(el)) continue;
      seen.add(el);  // one batch of changes counts once per element
      if ((el.textContent || '').length > SMALL) continue;
      const n = (w.counts.get(el) || 0) + 1;
      w.counts.set(el, n);
      if (n >= VOLATILE_AFTER) w.volatile.add(el);
    }
  });
  w.observe = root => {
    if (w.roots.has(root)) return;
    w.roots.add(root);
    observer.observe(root, {subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: [...LOOK_ONLY, ...STATE]});
  };
  // Shadow roots are not seen by an observer of the document: each is observed itself.
  w.observeDeep = el => {
    if (el.shadowRoot) w.observe(el.shadowRoot);
    if (el.querySelectorAll) for (const e of el.querySelectorAll('*'))
      if (e.shadowRoot) { w.observe(e.shadowRoot); w.observeDeep(e.shadowRoot); }
  };
  w.observe(document);
  w.observeDeep(document.documentElement || document);
  w.changes = el => w.counts.get(el) || 0;
  // Three batches of look changes within ANIMATING_MS, the last one recent.
  w.animating = () => { const now = performance.now(), recent = w.looks.filter(
    t => now - t < ANIMATING_MS);
    return recent.length >= 3 && now - recent[recent.length - 1] < ANIMATING_MS / 2; };
  return w;
})());
