// The run index: filter by outcome and by replayed / healed steps, search, sort by column.
(() => {
  const table = document.getElementById('trails'), body = table.tBodies[0];
  const rows = [...body.rows];
  const boxes = [...document.querySelectorAll('.controls input[type=checkbox]')];
  const search = document.getElementById('search');
  const apply = () => {
    const on = Object.fromEntries(boxes.map(b => [b.name, b.checked]));
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const text = row.textContent.toLowerCase();
      const visible = on[row.dataset.outcome] !== false
        && (!on['only-replayed'] || Number(row.dataset.replayed) > 0)
        && (!on['only-healed'] || Number(row.dataset.healed) > 0)
        && words.every(w => text.includes(w));
      row.hidden = !visible;
      shown += visible;
    }
    document.getElementById('shown').textContent = `${shown} of ${rows.length} shown`;
    total(rows.filter(row => !row.hidden));
  };
  // The totals row adds up the tests shown, so a filter's totals read right.
  const foot = table.tFoot.rows[0], cost = foot.cells.length - 2;
  const total = visible => {
    foot.cells[0].textContent = visible.length === rows.length ? `total (${rows.length})`
      : `total of ${visible.length} shown`;
    for (let c = 3; c <= cost; c++) {
      const values = visible.map(row => Number(row.cells[c].dataset.sort));
      const sum = values.filter(v => v >= 0).reduce((a, b) => a + b, 0);
      foot.cells[c].textContent = c < cost ? String(sum)
        : `$${sum.toFixed(4)}${values.some(v => v < 0) ? ' + unknown' : ''}`;
    }
  };
  boxes.forEach(b => b.addEventListener('change', apply));
  search.addEventListener('input', apply);
  [...table.tHead.rows[0].cells].forEach((th, column) => th.addEventListener('click', () => {
    const descending = th.classList.contains('asc');
    for (const other of th.parentNode.cells) other.classList.remove('asc', 'desc');
    th.classList.add(descending ? 'desc' : 'asc');
    const number = th.dataset.kind === 'number';
    const key = row => { const value = row.cells[column].dataset.sort ?? row.cells[column].textContent;
      return number ? Number(value) : value.toLowerCase(); };
    rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (descending ? -1 : 1));
    body.append(...rows);
  }));
  apply();
})();
