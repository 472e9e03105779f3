// The runs list: a search box and workflow/status filters (kept in the URL hash), and the table of runs.
import { el, fmtMs, fmtNum, fmtTime, runStatusBadge, table } from './render.js';

/** The filter in the hash `#/?workflow=…&status=…&q=…`. */
export function filterFromHash() {
  const query = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const params = new URLSearchParams(query);
  return { workflow: params.get('workflow') ?? '', status: params.get('status') ?? '', q: params.get('q') ?? '' };
}

function queryOf(filter) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) params.set(name, value);
  return params.toString();
}

/** The filter bar; `onChange(filter)` runs on every change (typing in the search box included). */
export function filterBar(filter, onChange) {
  const q = el('input', { id: 'run-search', type: 'search', placeholder: 'search id, workflow, flags', value: filter.q, spellcheck: 'false' });
  const workflow = el('select', { id: 'filter-workflow' }, el('option', { value: '' }, 'all workflows'));
  const status = el('select', { id: 'filter-status' }, el('option', { value: '' }, 'all statuses'));
  const current = () => ({ workflow: workflow.value, status: status.value, q: q.value.trim() });
  const changed = () => {
    const next = current();
    history.replaceState(null, '', `#/${queryOf(next) ? `?${queryOf(next)}` : ''}`);
    onChange(next);
  };
  q.addEventListener('input', changed);
  workflow.addEventListener('change', changed);
  status.addEventListener('change', changed);
  const fill = (select, values, chosen) => {
    const options = [...new Set([...values, ...(chosen ? [chosen] : [])])].sort();
    select.replaceChildren(select.firstChild, ...options.map((v) => el('option', { value: v, selected: v === chosen }, v)));
    select.value = chosen;
  };
  return {
    node: el('div', { class: 'filters' }, q, workflow, status, el('span', { id: 'run-count', class: 'muted' })),
    current,
    /** Offers every workflow and status of the unfiltered list. */
    update(data) {
      const { workflow: w, status: s } = current();
      fill(workflow, data.workflows, w);
      fill(status, data.statuses, s);
      document.getElementById('run-count').textContent = `${data.runs.length} of ${data.total} runs`;
    },
  };
}

export function runsTable(runs) {
  const link = (r) => el('a', { href: `#/runs/${encodeURIComponent(r.runId)}`, class: 'run-link' }, r.runId);
  return table([
    { title: 'run', cell: link },
    { title: 'workflow', cell: (r) => r.workflowId },
    { title: 'status', cell: (r) => runStatusBadge(r) },
    { title: 'started', cell: (r) => fmtTime(r.createdAt) },
    { title: 'elapsed', cell: (r) => fmtMs(r.activeMs), className: 'num' },
    { title: 'tokens', cell: (r) => fmtNum(r.tokens), className: 'num' },
    { title: 'model calls', cell: (r) => (r.reused ? `${fmtNum(r.calls)} paid, ${fmtNum(r.reused)} reused` : fmtNum(r.calls)), className: 'num' },
    { title: 'flagged', cell: (r) => r.flags.join('; '), className: 'flags' },
  ], runs, { attrs: { class: 'runs' }, rowAttrs: (r) => ({ dataset: { runId: r.runId, status: r.status } }) });
}

export { queryOf };
