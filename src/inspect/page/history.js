// A run's kept checkpoints (seq, time, status, active states, calls journaled), each with "fork from here".
import { el, finalStatuses, fmtClock, statusBadge, table } from './render.js';

const shown = 300;

/**
 * The history panel of one run. `fork({ at, runId?, contextPatch? })` posts the fork and resolves with the new run's
 * id (the page then opens it) or throws the refusal, which is shown here; null lists the checkpoints without forks.
 */
export function historyPanel(fork) {
  const result = el('span', { id: 'fork-result', class: 'muted' });
  const newId = el('input', { id: 'fork-run-id', placeholder: 'new run id (optional)', size: 22, spellcheck: 'false' });
  const patch = el('textarea', { id: 'fork-patch', rows: 1, cols: 36, placeholder: 'context patch as JSON (optional), e.g. {"topic": "dogs"}', spellcheck: 'false' });
  const rows = el('div', { id: 'history-rows' }, el('p', { class: 'muted' }, 'Loading checkpoints…'));

  const forkAt = async (at) => {
    const body = { at };
    if (newId.value.trim()) body.runId = newId.value.trim();
    const text = patch.value.trim();
    if (text) {
      try {
        body.contextPatch = JSON.parse(text);
      } catch (error) {
        result.className = 'error';
        result.textContent = `context patch is not JSON: ${error.message}`;
        return;
      }
    }
    result.className = 'muted';
    result.textContent = `forking from checkpoint ${at}…`;
    try {
      await fork(body);
      result.textContent = '';
    } catch (error) {
      result.className = 'error';
      result.textContent = `fork from checkpoint ${at} failed: ${error.message}`;
    }
  };

  const node = el('div', { class: 'history' },
    fork ? el('p', { class: 'muted small' }, 'A fork is a new run from a checkpoint: model calls journaled before it are reused, the rest are made again.') : null,
    fork ? el('div', { class: 'fork-form' }, newId, patch, result) : null,
    rows,
  );
  return {
    node,
    /** Redraws the table from `GET /api/runs/:id/history`; rows from a final status cannot be forked. */
    update(history) {
      const checkpoints = history.checkpoints;
      if (checkpoints.length === 0) {
        rows.replaceChildren(el('p', { class: 'muted' }, 'No checkpoints yet.'));
        return;
      }
      const newest = checkpoints.slice(-shown).reverse();
      rows.replaceChildren(
        checkpoints.length > shown ? el('p', { class: 'muted' }, `newest ${shown} of ${checkpoints.length} checkpoints`) : '',
        table([
          { title: 'seq', cell: (c) => String(c.seq), className: 'num' },
          { title: 'at', cell: (c) => fmtClock(c.at) },
          { title: 'status', cell: (c) => statusBadge(c.status) },
          { title: 'active states', cell: (c) => el('code', {}, c.active.join(', ') || '–') },
          { title: 'calls', cell: (c) => c.calls, className: 'num' },
          fork && {
            title: '',
            cell: (c) => finalStatuses.has(c.status)
              ? el('span', { class: 'muted small' }, 'run ended here')
              : el('button', { class: 'fork', dataset: { seq: c.seq }, onclick: () => forkAt(c.seq) }, 'fork from here'),
          },
        ].filter(Boolean), newest, { attrs: { class: 'history-table' }, rowAttrs: (c) => ({ dataset: { seq: c.seq } }) }),
      );
    },
  };
}
