// The page's own record of what an action started (short timers, requests, popups, file
// choosers) and of its last change, installed once per document; ARM_JS and SETTLE_JS
// (computer.py) read and reset it. Every script that includes this file shares it.
const st = window.__cuaSettle || (window.__cuaSettle = (() => {
  const s = {last: performance.now(), popup: false, chooser: false, armed: false,
             armedAt: 0, timers: new Set(), requests: new Set()};
  // Short timers started by the action (a debounce, a delayed render) are waited for:
  // the page is not settled while one is pending. Long or later ones are not tracked.
  const setT = window.setTimeout, clearT = window.clearTimeout;
  s.sleep = ms => new Promise(r => setT.call(window, r, ms));
  window.setTimeout = function (fn, ms, ...args) {
    if (!s.armed || !(Number(ms) <= 1000)) return setT.call(this, fn, ms, ...args);
    const id = setT.call(this, (...a) => {
      s.timers.delete(id); s.last = performance.now();
      return typeof fn === 'function' ? fn.apply(this, a) : (0, eval)(String(fn));
    }, ms, ...args);
    s.timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) { s.timers.delete(id); return clearT.call(this, id); };
  // Requests the action's code starts are waited for until their promise or load ends.
  const track = () => {
    const token = {};
    s.requests.add(token);
    return () => { s.requests.delete(token); s.last = performance.now(); };
  };
  const fetch0 = window.fetch;
  if (fetch0) window.fetch = function (...args) {
    const result = fetch0.apply(this, args);
    if (s.armed) { const done = track(); result.then(done, done); }
    return result;
  };
  const send0 = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    if (s.armed) this.addEventListener('loadend', track(), {once: true});
    return send0.apply(this, args);
  };
  new MutationObserver(() => { s.last = performance.now(); }).observe(
    document, {subtree: true, childList: true, attributes: true, characterData: true});
  const opensWindow = e => {
    const link = e.target && e.target.closest && e.target.closest('a[href], area[href]');
    if (!link) return;
    const target = (link.getAttribute('target') || '').toLowerCase();
    if ((target && !['_self', '_parent', '_top'].includes(target)) || e.ctrlKey || e.metaKey
        || e.shiftKey || e.button === 1) s.popup = true;
  };
  document.addEventListener('click', opensWindow, true);
  // A file input clicked (by the user or by the page's script) opens a file chooser; the
  // browser reports it a moment later, so say it is coming.
  document.addEventListener('click', e => {
    const el = e.composedPath()[0];
    if (el && el.tagName === 'INPUT' && el.type === 'file') s.chooser = true;
  }, true);
  document.addEventListener('auxclick', opensWindow, true);
  const open = window.open;
  window.open = function (...args) { s.popup = true; return open.apply(this, args); };
  return s;
})());
