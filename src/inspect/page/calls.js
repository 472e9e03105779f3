// The run page's model calls: the table (judge calls under the call they graded), the detail of a clicked call,
// the calls in flight (tokens streaming for runs this inspector drives), and usage per model and step.
import { el, fmtMs, fmtNum, fmtTime, table } from './render.js';

/** Calls streamed over SSE, by run id then call key: { step, model, attempt, text, end }. */
const live = new Map();

/** Takes one `call` news item from /api/events; returns true when it changed what the page should show. */
export function takeCallNews(news) {
  const calls = live.get(news.runId) ?? new Map();
  live.set(news.runId, calls);
  if (news.type === 'call.start') calls.set(news.key, { step: news.step, model: news.model, attempt: news.attempt, text: '', end: null });
  else {
    const call = calls.get(news.key) ?? { step: news.step ?? '?', model: news.model ?? '?', attempt: null, text: '', end: null };
    if (news.type === 'call.token') call.text += news.text;
    else call.end = news;
    calls.set(news.key, call);
  }
  return true;
}

const labelOfKey = (key) => key.replace(/^root\//, '').replace(/\/[^/]*:.*$/, '').replace(/\/\d+\.[^/]+\.attempting$/, '');

/** Calls in flight: from the snapshot (any process), joined with streamed ones (runs driven from this page). */
export function inflightPanel(run) {
  const streamed = live.get(run.summary.runId) ?? new Map();
  const rows = new Map();
  for (const call of run.inflight) rows.set(call.key, { ...call, text: null });
  for (const [key, call] of streamed) {
    if (call.end) continue;
    // A streamed call names its step as the CLI does (`fan[0]/expand`); the key is the last resort.
    rows.set(key, { key, label: rows.get(key)?.label ?? (call.step !== '?' ? call.step : labelOfKey(key)), step: call.step, model: call.model, attempt: call.attempt ?? rows.get(key)?.attempt, text: call.text });
  }
  if (rows.size === 0) return el('p', { class: 'muted' }, 'No model call in flight.');
  return el('div', {}, [...rows.values()].map((c) =>
    el('div', { class: 'inflight', dataset: { key: c.key } },
      el('div', { class: 'inflight-head' }, el('span', { class: 'spinner' }), el('b', {}, c.label), ` · ${c.model} · attempt ${c.attempt ?? '?'}`),
      c.text === null
        ? el('p', { class: 'muted small' }, 'Driven by another process: its tokens are not visible here; the reply appears when it is journaled.')
        : el('pre', { class: 'stream' }, c.text || '…'))));
}

export function callsTable(calls, selected, onSelect) {
  if (calls.length === 0) return el('p', { class: 'muted' }, 'No model calls yet.');
  return table([
    { title: 'step', cell: (c) => (c.kind === 'judge' ? el('span', { class: 'judge-label' }, '↳ ', c.label) : c.label) },
    { title: 'model', cell: (c) => c.model },
    { title: 'attempt', cell: (c) => (c.kind === 'judge' || c.attempt === null ? '–' : c.pass > 1 ? `${c.attempt} (pass ${c.pass})` : String(c.attempt)), className: 'num' },
    { title: 'tokens in', cell: (c) => fmtNum(c.tokensIn), className: 'num' },
    { title: 'tokens out', cell: (c) => fmtNum(c.tokensOut), className: 'num' },
    { title: 'ttft', cell: (c) => fmtMs(c.ttftMs), className: 'num' },
    { title: 'duration', cell: (c) => fmtMs(c.durationMs), className: 'num' },
    { title: 'score', cell: (c) => (c.score === null ? '–' : c.score.toFixed(2)), className: 'num' },
    { title: 'validation issues', cell: (c) => c.issues.join('; ') },
    { title: 'error', cell: (c) => c.errorKind ?? '' },
    { title: 'escalation', cell: (c) => (c.escalatedFrom ? `from ${c.escalatedFrom}` : '') },
  ], calls, {
    attrs: { class: 'calls' },
    rowAttrs: (c) => ({
      class: [c.success ? 'ok' : 'failed', c.kind === 'judge' && 'judge', c.id === selected && 'selected'],
      dataset: { callId: c.id },
      tabindex: 0,
      title: 'show this call',
      onclick: () => onSelect(c.id),
      onkeydown: (e) => (e.key === 'Enter' ? onSelect(c.id) : undefined),
    }),
  });
}

const json = (value) => el('pre', { class: 'json' }, JSON.stringify(value, null, 2));
const field = (name, ...value) => el('div', { class: 'field' }, el('span', { class: 'field-name' }, name), el('span', {}, ...value));

/** The detail panel of one call (from /api/runs/:id/calls/:callId). */
export function callDetailPanel(d, onSelect) {
  const r = d.row;
  const t = d.timings;
  const replayed = d.replayed === null ? 'not recorded in the journal' : d.replayed ? 'yes' : 'no';
  return el('div', { class: 'call-detail', id: 'call-detail', dataset: { callId: r.id } },
    el('h3', {}, r.kind === 'judge' ? 'Judge call ' : 'Call ', el('code', {}, r.label), ` · ${r.model}`,
      r.kind === 'call' && r.attempt !== null ? ` · attempt ${r.attempt}` : '', ' ',
      el('span', { class: ['badge', r.success ? 'status-done' : 'status-failed'] }, r.success ? 'valid' : 'failed')),
    el('div', { class: 'fields' },
      field('score', d.score === null ? '–' : d.score.toFixed(2)),
      field('tokens', `${fmtNum(r.tokensIn)} in / ${fmtNum(r.tokensOut)} out`),
      d.context ? field('prompt / window', contextText(d.context)) : null,
      field('ttft', fmtMs(t.ttftMs)),
      field('duration', fmtMs(t.durationMs)),
      field('load / prompt / eval', `${fmtMs(t.loadMs)} / ${fmtMs(t.promptEvalMs)} / ${fmtMs(t.evalMs)}`),
      field('host', d.host),
      field('done reason', d.doneReason ?? '–'),
      field('journaled', `${fmtTime(r.at)} · epoch ${d.epoch ?? '?'} of ${d.runEpoch}`),
      field('replayed', replayed),
      field('key', el('code', {}, r.key))),
    d.error ? el('p', { class: 'error' }, `${d.error.kind}: ${d.error.message}`) : null,
    d.context?.truncated && !d.error ? el('p', { class: 'error' }, `prompt truncated by the host: ${d.context.truncation ?? ''}`) : null,
    d.failovers.length ? el('p', { class: 'muted' }, 'failed over from: ', d.failovers.map((f) => `${f.host} (${f.kind})`).join(', ')) : null,
    el('h4', {}, 'Messages sent'),
    d.messages
      ? el('div', { class: 'messages' }, d.messages.map((m) => el('div', { class: ['message', `role-${m.role}`] },
        el('div', { class: 'role' }, m.role), el('pre', {}, m.content), m.toolCalls.length ? json(m.toolCalls) : null)))
      : el('p', { class: 'muted missing' }, `Not available: ${d.messagesMissing}.`),
    el('h4', {}, 'Reply'),
    d.reply.thinking ? el('details', {}, el('summary', {}, 'thinking'), el('pre', { class: 'thinking' }, d.reply.thinking)) : null,
    el('pre', { class: 'reply' }, d.reply.content || '(empty)'),
    d.reply.toolCalls.length ? [el('h4', {}, 'Tool calls'), json(d.reply.toolCalls)] : null,
    d.data !== null ? [el('h4', {}, 'Parsed data'), json(d.data)] : null,
    el('h4', {}, 'Validation issues'),
    d.issues.length ? el('ul', { class: 'issues error' }, d.issues.map((i) => el('li', {}, i))) : el('p', { class: 'muted' }, 'none'),
    d.scoreReasons.length ? [el('h4', {}, 'Score reasons'), el('ul', { class: 'reasons' }, d.scoreReasons.map((i) => el('li', {}, i)))] : null,
    d.judges.length
      ? [el('h4', {}, 'Judge calls'), el('ul', { class: 'judges' }, d.judges.map((j) =>
        el('li', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); onSelect(j.id); } }, j.label),
          ` · ${j.model} · ${fmtNum(j.tokensIn)} in / ${fmtNum(j.tokensOut)} out · ${fmtMs(j.durationMs)}`)))]
      : null,
  );
}

/** Tokens the host evaluated against the num_ctx sent (and the model's window), and the estimate made before sending. */
function contextText(c) {
  const room = c.numCtx !== null ? `num_ctx ${fmtNum(c.numCtx)}` : 'the host\'s default num_ctx';
  const window = c.window !== null && c.window !== c.numCtx ? ` (window ${fmtNum(c.window)})` : '';
  const evaluated = c.promptTokens !== null ? `${fmtNum(c.promptTokens)} of ${room}` : `not sent; ${room}`;
  return `${evaluated}${window} · estimated ${c.estimate === null ? '–' : fmtNum(c.estimate)}${c.compaction ? ' · a compaction' : ''}`;
}

export function usagePanel(usage) {
  // Reused (copied by a fork) and unanswered calls apart from the paid ones, as every command counts them.
  const extra = ['reused', 'unanswered'].filter((kind) => (usage.total[kind] ?? 0) > 0);
  const cols = (title) => [
    { title, cell: (u) => u.name },
    { title: 'paid calls', cell: (u) => fmtNum(u.calls), className: 'num' },
    ...extra.map((kind) => ({ title: kind, cell: (u) => fmtNum(u[kind] ?? 0), className: 'num' })),
    { title: 'tokens in', cell: (u) => fmtNum(u.tokensIn), className: 'num' },
    { title: 'tokens out', cell: (u) => fmtNum(u.tokensOut), className: 'num' },
    { title: 'model time', cell: (u) => fmtMs(u.durationMs), className: 'num' },
  ];
  if (usage.total.calls + (usage.total.reused ?? 0) + (usage.total.unanswered ?? 0) === 0) return el('p', { class: 'muted' }, 'No model calls yet.');
  const c = usage.compactions;
  return el('div', { class: 'usage' },
    table(cols('model'), [...usage.byModel, { ...usage.total, name: 'total' }], { attrs: { class: 'usage-models' } }),
    table(cols('step'), usage.byStep, { attrs: { class: 'usage-steps' } }),
    c && c.calls > 0
      ? el('p', { class: 'usage-compactions' }, `${fmtNum(c.calls)} compaction${c.calls === 1 ? '' : 's'} (older turns summarised to stay within the window): ${fmtNum(c.tokensIn)} tokens in / ${fmtNum(c.tokensOut)} out · ${fmtMs(c.durationMs)}`)
      : null);
}
