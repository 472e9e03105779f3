// Evaluations (harness eval): the list of evals, and one eval's variants, steps, statechart coverage and its cases ×
// variants matrix, each cell opening the case's run.
import { el, fmtMs, fmtNum, fmtTime, svg, table } from './render.js';

const pct = (rate) => `${(rate * 100).toFixed(1)}%`;

export function evalsList(data) {
  if (data.evals.length === 0) {
    return el('p', { class: 'muted' }, `No evals in ${data.dir}. Run one with harness eval <eval file> (--evals chooses where they go).`);
  }
  return table([
    { title: 'eval', cell: (e) => el('a', { href: `#/evals/${encodeURIComponent(e.evalId)}`, class: 'eval-link' }, e.evalId) },
    { title: 'workflow', cell: (e) => e.workflowId },
    { title: 'started', cell: (e) => fmtTime(e.createdAt) },
    { title: 'cases', cell: (e) => fmtNum(e.cases), className: 'num' },
    { title: 'variants (pass rate so far)', cell: (e) => e.variants.map((v) => `${v.name} ${pct(v.passRate)}${v.finished < e.cases ? ` (${v.finished}/${e.cases})` : ''}`).join(' · ') },
  ], data.evals, { attrs: { class: 'evals' }, rowAttrs: (e) => ({ dataset: { evalId: e.evalId } }) });
}

/** Ten bars of the score histogram, [0, 0.1) on the left to [0.9, 1] on the right. */
function sparkline(histogram) {
  const max = Math.max(1, ...histogram);
  const bars = histogram.map((n, i) => svg('rect', { x: i * 7, y: 20 - Math.round((n / max) * 18), width: 6, height: Math.max(1, Math.round((n / max) * 18)), class: 'bar' }, svg('title', {}, `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${n}`)));
  return svg('svg', { class: 'sparkline', width: 70, height: 20, viewBox: '0 0 70 20', role: 'img', 'aria-label': `scores: ${histogram.join(', ')}` }, ...bars);
}

function variantsTable(report) {
  return table([
    { title: 'variant', cell: (v) => el('strong', {}, v.name) },
    { title: 'what it changes', cell: (v) => el('span', { class: 'muted small' }, v.description) },
    { title: 'pass', cell: (v) => fmtNum(v.pass), className: 'num' },
    { title: 'fail', cell: (v) => fmtNum(v.fail), className: 'num' },
    { title: 'flagged', cell: (v) => fmtNum(v.flagged), className: 'num' },
    { title: 'error', cell: (v) => fmtNum(v.error), className: 'num' },
    { title: 'pass rate', cell: (v) => el('span', { class: 'rate' }, pct(v.passRate)), className: 'num' },
    { title: '95% CI (Wilson)', cell: (v) => `${pct(v.interval.low)} – ${pct(v.interval.high)}`, className: 'num' },
    { title: 'scores', cell: (v) => el('span', { class: 'scores' }, sparkline(v.score.histogram), ` ${v.score.mean.toFixed(2)}`) },
    { title: 'tokens p50 / p95', cell: (v) => `${fmtNum(v.tokens.p50)} / ${fmtNum(v.tokens.p95)}`, className: 'num' },
    { title: 'time p50 / p95', cell: (v) => `${fmtMs(v.timeMs.p50)} / ${fmtMs(v.timeMs.p95)}`, className: 'num' },
    { title: 'calls (cached)', cell: (v) => `${fmtNum(v.calls.total)} (${fmtNum(v.calls.cached)})`, className: 'num' },
    report.variants.some((v) => v.pending > 0) && { title: 'not run yet', cell: (v) => fmtNum(v.pending), className: 'num' },
  ].filter(Boolean), report.variants, { attrs: { class: 'eval-variants' }, rowAttrs: (v) => ({ dataset: { variant: v.name } }) });
}

function stepsTable(report) {
  const rows = report.variants.flatMap((v) => Object.entries(v.steps).map(([step, s]) => ({ variant: v.name, step, ...s })));
  if (rows.length === 0) return el('p', { class: 'muted' }, 'No model step made a call yet.');
  return table([
    { title: 'variant', cell: (r) => r.variant },
    { title: 'step', cell: (r) => el('code', {}, r.step) },
    { title: 'attempts / case', cell: (r) => r.attemptsPerCase.toFixed(2), className: 'num' },
    { title: 'retry', cell: (r) => pct(r.retryRate), className: 'num' },
    { title: 'escalation', cell: (r) => pct(r.escalationRate), className: 'num' },
    { title: 'flagged', cell: (r) => pct(r.flagRate), className: 'num' },
  ], rows, { attrs: { class: 'eval-steps' } });
}

function coverageTable(report) {
  const rows = report.variants.flatMap((v) => v.coverage.map((m) => ({ variant: v.name, ...m })));
  return table([
    { title: 'variant', cell: (r) => r.variant },
    { title: 'machine', cell: (r) => el('code', {}, r.machine === '' ? `${report.workflowId} (workflow)` : r.machine) },
    { title: 'states', cell: (r) => `${r.states.visited} / ${r.states.total}`, className: 'num' },
    { title: 'never reached', cell: (r) => el('span', { class: r.states.unreached.length ? 'unreached' : 'muted' }, r.states.unreached.join(', ') || 'none') },
    { title: 'transitions', cell: (r) => `${r.transitions.visited} / ${r.transitions.total}`, className: 'num' },
    {
      title: 'never taken',
      cell: (r) => (r.transitions.unreached.length === 0 ? el('span', { class: 'muted' }, 'none')
        : el('details', {}, el('summary', {}, `${r.transitions.unreached.length} transition(s)`), el('ul', { class: 'small' }, r.transitions.unreached.map((t) => el('li', {}, el('code', {}, t)))))),
    },
  ], rows, { attrs: { class: 'eval-coverage' }, rowAttrs: (r) => ({ dataset: { variant: r.variant, machine: r.machine } }) });
}

const filters = {
  all: { label: 'all cases', keep: () => true },
  failing: { label: 'not passing somewhere', keep: (c) => Object.values(c.variants).some((cell) => cell.outcome !== 'pass') },
  differ: { label: 'variants disagree', keep: (c) => new Set(Object.values(c.variants).map((cell) => cell.outcome)).size > 1 },
};

function cellTitle(cell) {
  const lines = [`${cell.outcome} · run ${cell.runId} (${cell.status}) · score ${cell.score}`, `${fmtNum(cell.tokens)} tokens · ${cell.calls} call(s)${cell.cached ? `, ${cell.cached} cached` : ''} · ${fmtMs(cell.ms)}`];
  if (cell.reason) lines.push(cell.reason);
  return lines.join('\n');
}

function matrix(report, filter) {
  const cases = report.cases.filter(filters[filter].keep);
  const evalHref = `#/evals/${encodeURIComponent(report.evalId)}`;
  return el('table', { class: 'eval-matrix' },
    el('thead', {}, el('tr', {}, el('th', {}, 'case'), report.variants.map((v) => el('th', { dataset: { variant: v.name } }, v.name)), el('th', {}, 'why not a pass'))),
    el('tbody', {}, cases.map((c) => el('tr', { dataset: { case: c.id } },
      el('td', {}, el('code', {}, c.id)),
      report.variants.map((v) => {
        const cell = c.variants[v.name];
        if (!cell) return el('td', { class: 'cell pending', dataset: { variant: v.name } }, el('span', { class: 'muted' }, '…'));
        return el('td', { class: `cell outcome-${cell.outcome}`, dataset: { variant: v.name, outcome: cell.outcome } },
          el('a', { href: `${evalHref}/runs/${encodeURIComponent(cell.runId)}`, title: cellTitle(cell), class: 'cell-link' }, cell.outcome));
      }),
      el('td', { class: 'small why' }, Object.entries(c.variants).filter(([, cell]) => cell.reason).map(([name, cell]) => el('div', {}, el('strong', {}, `${name}: `), cell.reason))),
    ))),
  );
}

/** The page of one eval; `onFilter(name)` redraws it with another matrix filter. */
export function evalPage(report, onFilter, filter) {
  const finished = report.variants.reduce((sum, v) => sum + v.cases, 0);
  const all = report.dataset.cases * report.variants.length;
  const select = el('select', { id: 'matrix-filter', onchange: (e) => onFilter(e.target.value) },
    Object.entries(filters).map(([name, f]) => el('option', { value: name, selected: name === filter }, f.label)));
  return el('div', {},
    el('h1', {}, `eval ${report.evalId}`),
    el('p', { class: 'meta' }, `workflow ${report.workflowId} · ${fmtNum(report.dataset.cases)} cases × ${report.variants.length} variants · started ${fmtTime(report.createdAt)} · `,
      report.complete ? el('span', { id: 'eval-state' }, 'complete') : el('span', { id: 'eval-state', class: 'running' }, `running or stopped: ${finished} of ${all} done`)),
    el('p', { class: 'meta muted' }, `${report.source.file} · dataset ${report.dataset.file}`),
    el('section', {}, el('h2', {}, 'Variants'), variantsTable(report)),
    el('section', {}, el('h2', {}, 'Model steps'), stepsTable(report)),
    el('section', {}, el('h2', {}, 'Statechart coverage'), el('p', { class: 'muted small' }, 'States and transitions of each machine the cases went through, and the ones no case reached.'), coverageTable(report)),
    el('section', {}, el('h2', {}, 'Cases × variants'),
      el('p', { class: 'filters' }, select, el('span', { class: 'muted small' }, 'Click a cell for the case\'s run: its statechart, calls, timeline and checkpoints.')),
      matrix(report, filter)),
  );
}
