// The trail viewer: one test's steps and turns from the JSON beside this script.
// Keys: → / j next turn, ← / k previous, ↓ / n next step, ↑ / p previous step, space play.
// A deep link #step-3-turn-2 opens that turn; #step-3 the step's last turn.
(() => {
  const data = JSON.parse(document.getElementById('cua-trail').textContent);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child !== null && child !== undefined)
      node.append(child instanceof Node ? child : String(child));
    return node;
  };
  const SVG = 'http://www.w3.org/2000/svg';

  // Every place to stand: each turn, and a step with no turn (a replayed check) as itself.
  const places = [];
  data.steps.forEach((step, s) => {
    if (step.turns.length) step.turns.forEach((turn, t) => places.push({s, t}));
    else places.push({s, t: -1});
  });
  let at = 0, timer = null;

  const header = el('header', {},
    el('h1', {}, data.test),
    el('div', {class: 'summary'}, data.summary),
    el('div', {class: 'controls'},
      el('button', {id: 'play', type: 'button', onclick: () => toggle()}, '▶ play'),
      el('label', {}, 'speed ', el('select', {id: 'speed'},
        ...[['2000', '0.5x'], ['1000', '1x'], ['500', '2x'], ['250', '4x']].map(([ms, label]) =>
          el('option', ms === '1000' ? {value: ms, selected: ''} : {value: ms}, label)))),
      el('button', {id: 'zoom', type: 'button', 'aria-pressed': 'false',
                    onclick: () => zoom()}, 'zoom'),
      el('button', {id: 'after', type: 'button', 'aria-pressed': 'false',
                    onclick: () => flip()}, 'after'),
      el('span', {id: 'where'}),
      el('span', {class: 'meta'}, 'keys: ', el('kbd', {}, '←'), el('kbd', {}, '→'), ' turn, ',
        el('kbd', {}, '↑'), el('kbd', {}, '↓'), ' step, ', el('kbd', {}, 'space'), ' play, ', el('kbd', {}, 'z'), ' zoom, ',
        el('kbd', {}, 'a'), ' before/after')));
  const stepList = el('ol', {id: 'steps'});
  data.steps.forEach((step, s) => {
    stepList.append(el('li', {class: step.outcome, 'data-step': step.n, tabindex: '0',
                              onclick: () => go(places.findIndex(p => p.s === s))},
      el('div', {class: 'title'}, `${step.n}. ${step.kind}: ${step.instruction}`),
      el('div', {class: 'meta'},
        el('span', {class: `tag ${step.outcome}`}, step.outcome),
        el('span', {class: `tag ${step.source.split(' ').pop()}`}, step.source),
        `${step.turns.length} turns · ${step.seconds}s · ${step.tokens} tokens · ${step.cost}`)));
  });
  const stage = el('div', {id: 'stage'});
  const details = el('div', {id: 'details'});
  const view = el('section', {id: 'view'}, stage, details);
  const film = el('nav', {id: 'film'});
  places.forEach((place, index) => {
    const step = data.steps[place.s], turn = step.turns[place.t];
    const failed = ['failed', 'error'].includes(step.outcome) && place.t === step.turns.length - 1;
    film.append(el('figure', {class: failed ? 'failed' : '', 'data-place': index,
                              tabindex: '0', onclick: () => go(index)},
      turn && turn.image ? el('img', {src: turn.image, loading: 'lazy', alt: ''})
        : el('div', {class: 'blank'}),
      el('figcaption', {}, `${step.n}.${turn ? turn.n : '-'}`)));
  });
  document.body.append(header, el('main', {}, stepList, view), film);

  const fragment = place => {
    const step = data.steps[place.s];
    return `#step-${step.n}` + (place.t >= 0 ? `-turn-${step.turns[place.t].n}` : '');
  };
  const fromHash = () => {
    const m = /^#step-(\d+)(?:-turn-(\d+))?$/.exec(location.hash);
    if (!m) return -1;
    const s = data.steps.findIndex(step => step.n === Number(m[1]));
    if (s < 0) return -1;
    const turns = data.steps[s].turns;
    const t = m[2] ? turns.findIndex(turn => turn.n === Number(m[2])) : turns.length - 1;
    return places.findIndex(p => p.s === s && p.t === (turns.length ? Math.max(t, 0) : -1));
  };
  const firstFailure = () => {
    const s = data.steps.findIndex(step => ['failed', 'error'].includes(step.outcome));
    if (s < 0) return 0;
    const last = data.steps[s].turns.length - 1;
    return places.findIndex(p => p.s === s && p.t === last);
  };

  let lastPoint = null;
  const picture = (turn, animate) => {
    stage.replaceChildren();
    if (!turn || !turn.image) {
      stage.append(el('div', {id: 'noimage'}, turn ? 'no screenshot for this turn (replayed '
        + 'without reports that show images, or images are off)' : 'this step had no model turn'));
      return;
    }
    const img = el('img', {src: turn.image, width: turn.width, height: turn.height,
                           alt: `turn ${turn.n}`});
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${turn.width} ${turn.height}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.innerHTML = turn.marks;
    const first = turn.points[0];
    if (first) {  // the cursor: from where the last turn left it to this turn's action
      const cursor = document.createElementNS(SVG, 'circle');
      cursor.id = 'cursor';
      cursor.setAttribute('r', '7');
      cursor.setAttribute('fill', 'rgba(26,115,232,.85)');
      cursor.setAttribute('stroke', '#fff');
      cursor.setAttribute('stroke-width', '2');
      const from = animate && lastPoint ? lastPoint : first;
      cursor.style.transform = `translate(${from[0]}px, ${from[1]}px)`;
      svg.append(cursor);
      if (from !== first) requestAnimationFrame(() => requestAnimationFrame(() => {
        cursor.style.transform = `translate(${first[0]}px, ${first[1]}px)`; }));
      lastPoint = turn.points[turn.points.length - 1];
    }
    stage.append(img, svg);
  };
  const list = (items, render) => items.length ? el('ul', {}, ...items.map(render)) : null;
  const describe = (step, turn) => {
    details.replaceChildren(...[
      el('h2', {}, `Step ${step.n} (${step.kind}${turn ? `, turn ${turn.n} of ${step.turns.length}` : ''})`),
      el('p', {}, step.instruction),
      el('p', {class: `verdict ${step.outcome}`}, `${step.outcome}` +
        (step.answer !== null && step.answer !== undefined ? `: answer ${step.answer}` : '')
        + (step.reason ? `: ${step.reason}` : '')),
      step.heal ? el('p', {class: 'meta'}, `${step.healed}: ${step.heal}`) : null,
      ...(step.notes || []).map(note => el('p', {class: 'meta'}, note)),
      turn ? list(turn.actions, a => el('li', {}, a.description,
        a.error ? el('span', {class: 'error-text'}, ` (${a.error})`) : null)) : null,
      turn ? list(turn.calls, c => el('li', {}, el('code', {}, c))) : null,
      turn ? list(turn.messages, m => el('li', {}, `said: ${m}`)) : null,
      ...(turn ? turn.reasoning.map(r => el('p', {class: 'reasoning'}, r)) : []),
      turn && turn.safety ? el('p', {class: 'error-text'}, `safety checks: ${turn.safety}`) : null,
      turn && turn.actions.length ? el('pre', {}, JSON.stringify(turn.actions.map(a => a.action), null, 1)) : null,
      turn ? el('p', {class: 'meta'}, `${turn.url}`, el('br'),
        `${turn.replayed ? 'replayed' : `model ${turn.seconds}s`} · ${turn.tokens} tokens · ${turn.cost}`) : null,
    ].filter(part => part !== null && part !== undefined));
  };

  const go = (index, animate = false) => {
    if (index < 0 || index >= places.length) return;
    at = index;
    const place = places[at], step = data.steps[place.s], turn = step.turns[place.t];
    document.body.dataset.step = step.n;
    document.body.dataset.turn = turn ? turn.n : 0;
    for (const item of stepList.children)
      item.classList.toggle('current', Number(item.dataset.step) === step.n);
    stepList.children[place.s].scrollIntoView({block: 'nearest'});
    for (const figure of film.children)
      figure.classList.toggle('current', Number(figure.dataset.place) === at);
    film.children[at].scrollIntoView({block: 'nearest', inline: 'nearest'});
    // "after": the page this turn's actions left, as the next turn saw it.
    const next = places[at + 1] && data.steps[places[at + 1].s].turns[places[at + 1].t];
    const after = showAfter && next && next.image;
    document.body.dataset.view = after ? 'after' : 'before';
    picture(after ? {...next, marks: '', points: []} : turn, animate && !after);
    describe(step, turn);
    document.getElementById('where').textContent =
      `step ${step.n}/${data.steps.length}` + (turn ? `, turn ${turn.n}/${step.turns.length}` : '');
    history.replaceState(null, '', fragment(place));
  };
  const stepBy = delta => {
    const s = places[at].s + delta;
    const index = places.findIndex(p => p.s === s);
    if (index >= 0) go(index);
  };
  let showAfter = false;
  const zoom = () => {  // the picture across the whole view, details below it
    const on = document.body.classList.toggle('zoomed');
    document.getElementById('zoom').setAttribute('aria-pressed', String(on));
  };
  const flip = () => {
    showAfter = !showAfter;
    document.getElementById('after').setAttribute('aria-pressed', String(showAfter));
    go(at);
  };
  stage.addEventListener('click', zoom);
  const toggle = () => {
    const button = document.getElementById('play');
    if (timer) { clearInterval(timer); timer = null; button.textContent = '▶ play'; return; }
    if (at >= places.length - 1) go(0);
    button.textContent = '❚❚ pause';
    timer = setInterval(() => {
      if (at >= places.length - 1) { toggle(); return; }
      go(at + 1, true);
    }, Number(document.getElementById('speed').value));
  };
  document.getElementById('speed').addEventListener('change', () => {
    if (timer) { toggle(); toggle(); } });
  document.addEventListener('keydown', event => {
    if (event.target.tagName === 'SELECT') return;
    const actions = {ArrowRight: () => go(at + 1), j: () => go(at + 1),
      ArrowLeft: () => go(at - 1), k: () => go(at - 1),
      ArrowDown: () => stepBy(1), n: () => stepBy(1),
      ArrowUp: () => stepBy(-1), p: () => stepBy(-1),
      Home: () => go(0), End: () => go(places.length - 1), ' ': () => toggle(),
      z: () => zoom(), a: () => flip(),
      Enter: () => event.target.click && event.target !== document.body && event.target.click()};
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
  window.addEventListener('hashchange', () => { const index = fromHash(); if (index >= 0) go(index); });
  const start = fromHash();
  go(start >= 0 ? start : firstFailure());
})();
