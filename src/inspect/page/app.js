// The inspector page: runs list and one run (diagram, actions, calls, timeline, checkpoints to fork from, snapshot), kept live over SSE;
// evals (harness eval) and their cases × variants matrix, whose cells open a case's run.
import { callDetailPanel, callsTable, inflightPanel, takeCallNews, usagePanel } from './calls.js';
import { showAgents } from './agents.js';
import { highlight, renderDiagram, transitionsList } from './diagram.js';
import { evalPage, evalsList } from './evals.js';
import { historyPanel } from './history.js';
import { blockedOf, el, finalStatuses, fmtClock, fmtMs, fmtNum, fmtTime, runStatusBadge, table } from './render.js';
import { filterBar, filterFromHash, queryOf, runsTable } from './runs.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
const main = document.getElementById('main');

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

async function postJson(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-harness-token': token },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(answer.error ?? `${res.status}`);
  return answer;
}

// ---- routing and live refresh ----

let view = { kind: 'none' };

/** Where a run page reads its run: the inspector's own store, or an eval's (read-only: the eval drives its runs). */
const storeRuns = { api: '/api', back: '#/', backLabel: '← all runs', readOnly: false };

function route() {
  const match = /^#\/runs\/([^/]+)$/.exec(location.hash);
  const evalRun = /^#\/evals\/([^/]+)\/runs\/([^/]+)$/.exec(location.hash);
  const evalOne = /^#\/evals\/([^/?]+)(?:\?.*)?$/.exec(location.hash);
  if (match) showRun(decodeURIComponent(match[1]));
  else if (evalRun) {
    const evalId = decodeURIComponent(evalRun[1]);
    showRun(decodeURIComponent(evalRun[2]), { api: `/api/evals/${encodeURIComponent(evalId)}`, back: `#/evals/${encodeURIComponent(evalId)}`, backLabel: `← eval ${evalId}`, readOnly: true });
  } else if (evalOne) showEval(decodeURIComponent(evalOne[1]));
  else if (/^#\/evals\/?$/.test(location.hash)) showEvals();
  else showList();
}

/** One refresh at a time; news arriving meanwhile triggers one more, so bursts of checkpoints cost two fetches. */
function refresher(load) {
  let running = false;
  let again = false;
  return async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await load();
      } while (again);
    } finally {
      running = false;
    }
  };
}

function connectLive() {
  const live = document.getElementById('live');
  const source = new EventSource('/api/events');
  source.addEventListener('hello', () => {
    live.textContent = 'live';
    live.className = 'live on';
    view.refresh?.(); // catch up on anything missed while disconnected
  });
  source.addEventListener('change', (e) => {
    const { runId } = JSON.parse(e.data);
    if (view.kind === 'list' || (view.kind === 'run' && view.runId === runId)) view.refresh();
  });
  source.addEventListener('call', (e) => {
    const news = JSON.parse(e.data);
    if (takeCallNews(news) && view.kind === 'run' && view.runId === news.runId) view.showInflight?.();
  });
  source.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  });
}

// ---- runs list ----

function showList() {
  const list = el('div', { id: 'runs' }, el('p', { class: 'muted' }, 'Loading runs…'));
  let filter = filterFromHash();
  const bar = filterBar(filter, (next) => {
    filter = next;
    view.refresh();
  });
  main.replaceChildren(el('h1', {}, 'Runs'), bar.node, list);
  view = { kind: 'list', refresh: refresher(() => loadList(list, bar, filter)) };
  view.refresh();
}

async function loadList(container, bar, filter) {
  let data;
  try {
    const query = queryOf(filter);
    data = await getJson(`/api/runs${query ? `?${query}` : ''}`);
  } catch (error) {
    container.replaceChildren(el('p', { class: 'error' }, `Cannot list runs: ${error.message}`));
    return;
  }
  bar.update(data);
  const parts = [];
  if (data.total === 0) parts.push(el('p', { class: 'muted' }, 'No runs yet. Start one with harness run; it appears here live.'));
  else if (data.runs.length === 0) parts.push(el('p', { class: 'muted', id: 'no-match' }, 'No run matches this filter.'));
  else parts.push(runsTable(data.runs));
  if (data.unreadable.length > 0) {
    parts.push(el('h2', {}, 'Unreadable run files'), el('ul', { class: 'error' }, data.unreadable.map((u) => el('li', {}, `${u.file}: ${u.reason}`))));
  }
  container.replaceChildren(...parts);
}

// ---- evals ----

function showEvals() {
  const box = el('div', { id: 'evals' }, el('p', { class: 'muted' }, 'Loading evals…'));
  main.replaceChildren(el('h1', {}, 'Evaluations'), box);
  view = { kind: 'evals', refresh: refresher(async () => {
    try {
      box.replaceChildren(evalsList(await getJson('/api/evals')));
    } catch (error) {
      box.replaceChildren(el('p', { class: 'error' }, `Cannot list evals: ${error.message}`));
    }
  }) };
  view.refresh();
}

/** One eval; an eval still running is read again every two seconds until every case has a result. */
function showEval(evalId) {
  const box = el('div', { id: 'eval' }, el('p', { class: 'muted' }, 'Loading the eval…'));
  main.replaceChildren(el('p', {}, el('a', { href: '#/evals' }, '← all evals')), box);
  let filter = 'all';
  let last = null;
  const draw = () => last && box.replaceChildren(evalPage(last, (next) => {
    filter = next;
    draw();
  }, filter));
  const load = async () => {
    try {
      last = await getJson(`/api/evals/${encodeURIComponent(evalId)}`);
      draw();
    } catch (error) {
      box.replaceChildren(el('h1', {}, `eval ${evalId}`), el('p', { class: 'error', id: 'eval-error' }, error.message));
      return;
    }
    if (!last.complete && view.kind === 'eval' && view.evalId === evalId) setTimeout(() => view.kind === 'eval' && view.evalId === evalId && view.refresh(), 2000);
  };
  view = { kind: 'eval', evalId, refresh: refresher(load) };
  view.refresh();
}

// ---- one run ----

function showRun(runId, place = storeRuns) {
  const { api } = place;
  const parts = {
    head: el('div', { class: 'run-head' }),
    actions: place.readOnly ? { node: el('p', { class: 'muted', id: 'eval-run-note' }, 'A case of an eval: the eval drives it.'), update() {} } : actionsPanel(runId),
    diagram: el('div', { id: 'diagram', class: 'diagram' }),
    active: el('p', { class: 'active-line' }, 'active: ', el('code', { id: 'active-states' })),
    children: el('div', { id: 'children' }),
    agents: el('div', { id: 'agents' }),
    calls: el('div', { id: 'calls' }),
    detail: el('div', { id: 'call-detail-box' }),
    inflight: el('div', { id: 'inflight' }),
    usage: el('div', { id: 'usage' }),
    timeline: el('div', { id: 'timeline' }),
    history: historyPanel(place.readOnly ? null : async (body) => {
      const answer = await postJson(`${api}/runs/${encodeURIComponent(runId)}/fork`, body);
      location.hash = `#/runs/${encodeURIComponent(answer.runId)}`;
    }),
    data: el('div', { id: 'data' }),
    snapshot: el('pre', { id: 'snapshot-json', class: 'json' }),
  };
  main.replaceChildren(
    el('p', {}, el('a', { href: place.back }, place.backLabel)),
    parts.head,
    parts.actions.node,
    el('section', {}, el('h2', {}, 'In flight'), parts.inflight),
    el('section', {}, el('h2', {}, 'Statechart'), parts.diagram, parts.active, parts.children, parts.agents),
    el('section', {}, el('h2', { id: 'calls-title' }, 'Model calls'), el('p', { class: 'muted small' }, 'Click a call for what was sent, the reply, its validation, score and judges.'),
      el('div', { class: 'calls-split' }, parts.calls, parts.detail)),
    el('section', {}, el('h2', {}, 'Usage'), parts.usage),
    el('section', {}, el('h2', {}, 'Timeline'), parts.timeline),
    el('section', {}, el('h2', { id: 'history-title' }, 'Checkpoints'), parts.history.node),
    el('section', {}, el('h2', {}, 'Input and output'), parts.data),
    el('section', {}, el('details', { id: 'snapshot' }, el('summary', {}, 'Snapshot (JSON)'), parts.snapshot)),
  );
  view = { kind: 'run', runId, selected: null, last: null, refresh: refresher(() => loadRun(runId, parts, api)) };
  view.showInflight = () => view.last && parts.inflight.replaceChildren(inflightPanel(view.last));
  view.select = async (callId) => {
    view.selected = callId;
    if (view.last) parts.calls.replaceChildren(callsTable(view.last.calls, callId, view.select));
    try {
      const detail = await getJson(`${api}/runs/${encodeURIComponent(runId)}/calls/${encodeURIComponent(callId)}`);
      if (view.selected === callId) parts.detail.replaceChildren(callDetailPanel(detail, view.select));
    } catch (error) {
      parts.detail.replaceChildren(el('p', { class: 'error' }, `Cannot load call ${callId}: ${error.message}`));
    }
  };
  view.refresh();
}

async function loadRun(runId, parts, api) {
  let run;
  let kept;
  try {
    [run, kept] = await Promise.all([
      getJson(`${api}/runs/${encodeURIComponent(runId)}`),
      getJson(`${api}/runs/${encodeURIComponent(runId)}/history`),
    ]);
  } catch (error) {
    parts.head.replaceChildren(el('h1', {}, runId), el('p', { class: 'error', id: 'run-error' }, error.message));
    return;
  }
  if (view.kind !== 'run' || view.runId !== runId) return;
  const s = run.summary;
  parts.head.replaceChildren(
    el('h1', {}, s.runId, ' ', runStatusBadge(s, { id: 'run-status' })),
    el('p', { class: 'meta' },
      `workflow ${run.workflow.id} · started ${fmtTime(s.createdAt)} · elapsed ${fmtMs(s.activeMs)} · `,
      `${fmtNum(run.usage.tokensIn)} tokens in / ${fmtNum(run.usage.tokensOut)} out · model calls ${run.callsText} · epoch ${run.epoch}`),
    el('p', { class: 'meta muted' }, `${run.workflow.module} (definition ${run.workflow.hash})`,
      ...(run.version ? [' · ', el('span', { id: 'run-version', class: run.version.behind ? 'warn' : '' },
        `version ${run.version.hash.slice(0, 12)}${run.version.behind ? ' — behind its workflow file: Upgrade moves it to the current code' : ''}`)] : [])),
    ...(run.flags.length > 0 ? [el('ul', { class: 'flags' }, run.flags.map((f) => el('li', {}, f)))] : []),
    ...(run.error ? [el('p', { class: 'error' }, run.error)] : []),
    ...(blockedOf(s) ? [el('p', { class: 'error', id: 'run-blocked' },
      `Workers cannot drive this run (${s.blocked.code}, since ${fmtTime(s.blocked.since)}): ${s.blocked.reason}. `,
      'Once the cause is fixed a worker tries it again by itself; Resume drives it now.')] : []),
  );
  parts.actions.update(run);
  if (run.snapshotsDir) {
    document.getElementById('eval-run-note').textContent = `A case of an eval: the eval drives it (run the same harness eval --id again to resume it). `
      + `Its files: harness show ${s.runId} --snapshots ${run.snapshotsDir}; fork it with harness fork ${s.runId} --at <seq> --snapshots ${run.snapshotsDir}.`;
  }

  if (run.diagram) {
    if (parts.diagram.dataset.hash !== run.workflow.hash) {
      parts.diagram.replaceChildren(renderDiagram(run.diagram), transitionsList(run.diagram.transitions));
      parts.diagram.dataset.hash = run.workflow.hash;
    }
    highlight(parts.diagram.querySelector('svg'), run.active);
  } else {
    parts.diagram.replaceChildren(el('p', { class: 'error' }, run.diagramError ?? 'no diagram'));
  }
  document.getElementById('active-states').textContent = run.active.join(', ') || '(none)';

  // Child machines (model steps, sub-agents) get their own diagram below; the list keeps the rest (timers).
  const drawn = new Set(run.agents.map((a) => a.id));
  const listed = run.children.filter((c) => !drawn.has(c.id));
  parts.children.replaceChildren(
    listed.length === 0 ? '' : el('p', { class: 'muted' }, 'actors: ',
      listed.map((c) => el('span', { class: `child child-${c.status}` }, `${c.id} (${c.src}) ${c.status}${c.state.length ? ` @ ${c.state.join(', ')}` : ''}`))),
  );
  showAgents(parts.agents, run.agents, run.workflow.hash);
  view.last = run;
  document.getElementById('calls-title').textContent = `Model calls (${run.callsText})`;
  parts.calls.replaceChildren(callsTable(run.calls, view.selected, view.select));
  view.showInflight();
  parts.usage.replaceChildren(usagePanel(run.usageDetail));
  parts.timeline.replaceChildren(timelineTable(run.timeline));
  document.getElementById('history-title').textContent = `Checkpoints (${kept.checkpoints.length})`;
  parts.history.update(kept);
  parts.data.replaceChildren(
    el('h3', {}, 'input'), el('pre', { class: 'json' }, JSON.stringify(run.input, null, 2)),
    el('h3', {}, 'output'), el('pre', { class: 'json' }, JSON.stringify(run.output, null, 2)),
  );
  parts.snapshot.textContent = JSON.stringify(run.snapshot, null, 2);
}

const timelineShown = 300;

function timelineTable(timeline) {
  if (timeline.length === 0) return el('p', { class: 'muted' }, 'No events yet.');
  const newest = timeline.slice(-timelineShown).reverse();
  return el('div', {},
    timeline.length > timelineShown ? el('p', { class: 'muted' }, `newest ${timelineShown} of ${timeline.length} events`) : null,
    table([
      { title: 'at', cell: (t) => fmtClock(t.at) },
      { title: 'what happened', cell: (t) => el('span', { title: `${t.actor}: ${t.event}` }, t.text) },
      { title: 'state after', cell: (t) => el('span', { class: 'muted' }, (t.state ?? []).join(', ')) },
    ], newest, { attrs: { class: 'timeline' } }),
  );
}

function actionsPanel(runId) {
  const result = el('span', { id: 'action-result', class: 'muted' });
  const base = `/api/runs/${encodeURIComponent(runId)}`;
  const act = async (label, path, body) => {
    result.className = 'muted';
    result.textContent = `${label}…`;
    try {
      const answer = await postJson(`${base}/${path}`, body);
      result.textContent = `${label}: ${answer.status}`;
    } catch (error) {
      result.className = 'error';
      result.textContent = `${label} failed: ${error.message}`;
    }
  };
  const eventType = el('input', { id: 'event-type', placeholder: 'EVENT', size: 14, spellcheck: 'false' });
  const eventData = el('textarea', { id: 'event-data', rows: 2, cols: 40, placeholder: 'the event\'s fields as a JSON object (optional), e.g. {"note": "ok"}', spellcheck: 'false' });
  const send = (type) => {
    const text = eventData.value.trim();
    let data;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        result.className = 'error';
        result.textContent = `data is not JSON: ${error.message}`;
        return;
      }
    }
    void act(`send ${type}`, 'send', data === undefined ? { type } : { type, data });
  };
  const resume = el('button', { id: 'resume', onclick: () => act('resume', 'resume') }, 'Resume');
  const upgrade = el('button', { id: 'upgrade', title: 'move the run onto its workflow file\u2019s current code (harness upgrade)', onclick: () => act('upgrade', 'upgrade') }, 'Upgrade');
  const cancel = el('button', { id: 'cancel', class: 'danger', onclick: () => confirm(`Cancel run ${runId}? It cannot be resumed.`) && act('cancel', 'cancel') }, 'Cancel');
  const sendButton = el('button', { id: 'send', onclick: () => eventType.value.trim() && send(eventType.value.trim()) }, 'Send');
  const quick = el('span', { id: 'quick-events' });
  const node = el('div', { class: 'actions' },
    resume, upgrade, cancel,
    el('span', { class: 'send-form' }, quick, eventType, eventData, sendButton),
    result,
    el('p', { class: 'muted', id: 'model-hosts' }, modelHostsNote()),
    token ? null : el('p', { class: 'error' }, 'No token in this page’s URL: actions are refused. Open the URL the inspect command printed.'),
  );
  return {
    node,
    update(run) {
      const ended = finalStatuses.has(run.summary.status);
      resume.disabled = ended;
      upgrade.disabled = ended || !(run.version && run.version.behind);
      cancel.disabled = ended;
      sendButton.disabled = ended;
      quick.replaceChildren(...run.accepts.map((type) =>
        el('button', { class: 'quick-send', dataset: { event: type }, onclick: () => send(type) }, `send ${type}`)));
    },
  };
}

/** The Ollama host(s) this inspector's resume and send call, as /api/info names them. */
let modelHosts = [];
function modelHostsNote() {
  return modelHosts.length > 0 ? `Resume and send run here, calling models at ${modelHosts.join(', ')}.` : '';
}

fetch('/api/info').then((r) => r.json()).then((info) => {
  document.getElementById('dir').textContent = info.dir ? `runs in ${info.dir}` : '';
  modelHosts = Array.isArray(info.modelHosts) ? info.modelHosts : [];
  const note = document.getElementById('model-hosts');
  if (note) note.textContent = modelHostsNote();
}).catch(() => undefined);
window.addEventListener('hashchange', route);
connectLive();
route();
