// DOM helpers of the inspector page: elements from data (text only, never HTML), and number/time formats.

/** An element with attributes and children; strings become text nodes, so run data can never inject markup. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const svgNs = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(svgNs, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A table from column specs `{ title, cell(row) → string | Node, className? }`; `rowAttrs(row)` sets each row's. */
export function table(columns, rows, { attrs = {}, rowAttrs = () => ({}) } = {}) {
  return el('table', attrs,
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { class: c.className }, c.title)))),
    el('tbody', {}, rows.map((row) => el('tr', rowAttrs(row), columns.map((c) => el('td', { class: c.className }, c.cell(row)))))),
  );
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function fmtClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toLocaleTimeString()}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function fmtNum(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString();
}

export function statusBadge(status, attrs = {}) {
  return el('span', { ...attrs, class: ['badge', `status-${status}`, attrs.class] }, status);
}

/** Statuses after which a run never moves again. */
export const finalStatuses = new Set(['done', 'flagged', 'failed', 'cancelled']);

/** Why workers refuse a run (its `blocked` note), or null: never for a run that has ended. */
export function blockedOf(summary) {
  return summary.blocked && !finalStatuses.has(summary.status) ? summary.blocked : null;
}

/** The status badge of a run summary: `blocked`, the reason on hover, when workers refuse it. */
export function runStatusBadge(summary, attrs = {}) {
  const blocked = blockedOf(summary);
  return blocked ? statusBadge('blocked', { ...attrs, title: `${blocked.code}: ${blocked.reason}` }) : statusBadge(summary.status, attrs);
}
