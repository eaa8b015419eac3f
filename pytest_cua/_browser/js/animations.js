// The page's CSS animations and transitions, in the document and in every open shadow root
// (document.getAnimations() leaves shadow roots out: a component library's toast, switch
// or checkbox animates there). What is read of a page is read as Playwright's screenshots
// show it (animations: "disabled"): finite animations at their end, infinite ones at their
// start.
const everyAnimation = () => {
  if (!document.getAnimations) return [];
  const found = new Set(document.getAnimations());
  for (const el of document.querySelectorAll('*')) {
    const roots = [];
    if (el.shadowRoot) roots.push(el.shadowRoot);
    for (let i = 0; i < roots.length; i++) {
      for (const a of roots[i].getAnimations ? roots[i].getAnimations() : []) found.add(a);
      for (const inner of roots[i].querySelectorAll('*'))
        if (inner.shadowRoot) roots.push(inner.shadowRoot);
    }
  }
  return [...found];
};
const endless = a => { const timing = a.effect && a.effect.getComputedTiming();
  return !timing || !Number.isFinite(timing.endTime); };
// Finite running animations jump to their end (firing their end events), for good.
const finishAnimations = animations => {
  for (const a of animations)
    if (a.playState === 'running' && !endless(a)) try { a.finish(); } catch (e) {}
};
// Infinite ones (a spinner, a pulse) are shown at their start while the page is read, then
// put back where they were: within one task, so the page never renders the difference.
const holdEndless = animations => {
  const held = [];
  for (const a of animations) {
    if (a.playState !== 'running' || !endless(a)) continue;
    try { held.push([a, a.currentTime]); a.currentTime = 0; } catch (e) {}
  }
  return () => { for (const [a, t] of held) try { a.currentTime = t; } catch (e) {} };
};
