// The live child machines of a run, under its chart: a panel per model step or sub-agent, and a fan-out's items as
// rows by index under one folded chart (the items run the same machine: a chart each made a page thousands of px tall).
import { highlight, renderDiagram, transitionsList } from './diagram.js';
import { el, statusBadge } from './render.js';

/** A fan-out `fan` spawns its items as `fan.0`, `fan.1`…; people read them `fan[0]` (as the CLI and call table do). */
const itemId = /^(.*\/)?([^/]+)\.(\d+)$/;

/** The item an agent is, when its parent is an agent too (the fan-out): its group key, label and index. */
function itemOf(agent, ids) {
  const m = itemId.exec(agent.id);
  if (!m || !m[1] || !ids.has(m[1].slice(0, -1))) return null;
  return { group: `${m[1]}${m[2]} ${agent.src}`, fanOut: m[1].slice(0, -1), label: `${m[2]}[${m[3]}]`, index: Number(m[3]) };
}

/** Agents in order, a fan-out's items gathered into one entry where its first item stood. */
function entriesOf(agents) {
  const ids = new Set(agents.map((a) => a.id));
  const entries = [];
  const groups = new Map();
  for (const agent of agents) {
    const item = itemOf(agent, ids);
    if (!item) {
      entries.push({ kind: 'agent', agent });
      continue;
    }
    let group = groups.get(item.group);
    if (!group) {
      // The items' machine is named by its own id (the step's `expand`), not the fan-out's name for it (`worker`).
      const name = agent.diagram?.boxes[0]?.id ?? agent.src;
      group = { kind: 'items', key: item.group, fanOut: item.fanOut, src: name, stepKind: agent.kind, diagram: agent.diagram, diagramError: agent.diagramError, items: [] };
      groups.set(item.group, group);
      entries.push(group);
    }
    group.items.push({ ...item, agent });
  }
  for (const group of groups.values()) group.items.sort((a, b) => a.index - b.index);
  return entries;
}

/** One panel per entry; a panel is kept while its entry lives, so only what changed (highlight, rows) is redrawn. */
export function showAgents(container, agents, hash) {
  const kept = new Map([...container.children].map((node) => [node.dataset.key, node]));
  const entries = entriesOf(agents);
  const fanOuts = new Set(entries.filter((e) => e.kind === 'items').map((e) => e.fanOut));
  container.replaceChildren(...entries.map((entry) => {
    if (entry.kind === 'items') {
      const key = `${hash} items ${entry.key}`;
      const panel = kept.get(key) ?? itemsPanel(entry, key);
      updateItems(panel, entry);
      return panel;
    }
    const { agent } = entry;
    const key = `${hash} ${agent.id} ${agent.src}`;
    const panel = kept.get(key) ?? agentPanel(agent, key, fanOuts.has(agent.id) ? 'fan-out' : kindName(agent.kind));
    panel.querySelector('.agent-status').replaceChildren(statusBadge(agent.status));
    const drawing = panel.querySelector('svg.statechart');
    if (drawing) highlight(drawing, agent.active);
    panel.querySelector('.agent-active').textContent = agent.active.join(', ') || '(none)';
    return panel;
  }));
}

const kindName = (kind) => (kind === 'step' ? 'model step' : 'sub-agent');

function chartOf(diagram, diagramError, label) {
  return diagram ? [renderDiagram(diagram, label), transitionsList(diagram.transitions)] : el('p', { class: 'error' }, diagramError ?? 'no diagram');
}

function agentPanel(agent, key, kind) {
  return el('div', { class: 'agent', dataset: { key, agent: agent.id } },
    el('h3', {}, `${kind} `, el('code', {}, agent.id), ` (${agent.src}) `, el('span', { class: 'agent-status' })),
    el('div', { class: 'diagram' }, chartOf(agent.diagram, agent.diagramError, `statechart of ${kind} ${agent.id}`)),
    el('p', { class: 'active-line' }, 'active: ', el('code', { class: 'agent-active' })),
  );
}

function itemsPanel(group, key) {
  return el('div', { class: 'agent fan-out', dataset: { key, fanOut: group.fanOut } },
    el('h3', {}, 'fan-out items of ', el('code', {}, group.fanOut), ` (${kindName(group.stepKind)} ${group.src})`),
    el('table', { class: 'items' },
      el('thead', {}, el('tr', {}, el('th', {}, 'item'), el('th', {}, 'status'), el('th', {}, 'active'))),
      el('tbody', {})),
    el('details', { class: 'item-chart' },
      el('summary', {}, `Chart of ${group.src}, every item's states marked`),
      el('div', { class: 'diagram' }, chartOf(group.diagram, group.diagramError, `statechart of ${kindName(group.stepKind)} ${group.src} (fan-out items)`))),
  );
}

function updateItems(panel, group) {
  panel.querySelector('table.items tbody').replaceChildren(...group.items.map(({ label, agent }) =>
    el('tr', { class: 'item', dataset: { agent: agent.id } },
      el('td', {}, el('code', { class: 'item-label' }, label)),
      el('td', {}, statusBadge(agent.status)),
      el('td', {}, el('code', { class: 'item-active' }, agent.active.join(', ') || '(none)')))));
  const drawing = panel.querySelector('svg.statechart');
  if (drawing) highlight(drawing, [...new Set(group.items.flatMap(({ agent }) => agent.active))]);
}
