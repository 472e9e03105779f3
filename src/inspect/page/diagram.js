// Draws the server's statechart layout as SVG, and marks the active states on it.
import { el, svg, table } from './render.js';

/** Builds the SVG for a layout from /api/runs/:id (`diagram`): boxes nest, arrows carry event [guard] labels. */
export function renderDiagram(diagram, label = 'statechart') {
  const root = svg('svg', {
    class: 'statechart',
    width: diagram.width,
    height: diagram.height,
    viewBox: `${diagram.left} 0 ${diagram.width} ${diagram.height}`,
    role: 'img',
    'aria-label': label,
  });
  root.append(
    svg('defs', {},
      svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' })),
    ),
  );
  const parallelPaths = new Set(diagram.boxes.filter((b) => b.type === 'parallel').map((b) => b.path));
  for (const box of diagram.boxes) root.append(stateBox(box, parallelPaths));
  for (const line of diagram.separators) root.append(svg('line', { ...line, class: 'separator' }));
  for (const line of diagram.initials) {
    root.append(svg('circle', { cx: line.x1, cy: line.y1, r: 4, class: 'initial-dot' }));
    root.append(svg('line', { ...line, class: 'initial-arrow', 'marker-end': 'url(#arrow)' }));
  }
  for (const edge of diagram.edges) {
    root.append(
      svg('g', { class: 'edge', dataset: { from: edge.from, to: edge.to } },
        svg('path', { d: edge.d, class: 'edge-line', 'marker-end': 'url(#arrow)' }),
        svg('text', { x: edge.labelX, y: edge.labelY, 'text-anchor': edge.anchor, class: 'edge-label' }, edge.label),
      ),
    );
  }
  return root;
}

function parentOf(path) {
  const i = path.lastIndexOf('.');
  return i < 0 ? (path === '' ? null : '') : path.slice(0, i);
}

function stateBox(box, parallelPaths) {
  const leaf = box.type === 'atomic' || box.type === 'final' || box.type === 'history';
  const region = parallelPaths.has(parentOf(box.path));
  const g = svg('g', {
    class: ['state', `type-${box.type}`, `depth-${Math.min(box.depth, 4)}`, region && 'region'],
    dataset: { path: box.path, id: box.id },
  });
  g.append(svg('title', {}, `${box.path || box.id} (${box.type})`));
  g.append(svg('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: 7, class: 'state-rect' }));
  if (box.type === 'final') {
    g.append(svg('rect', { x: box.x + 3, y: box.y + 3, width: box.w - 6, height: box.h - 6, rx: 5, class: 'state-inner' }));
  }
  const name = box.path === '' ? `${box.id} (machine)` : box.key;
  if (leaf) {
    g.append(svg('text', { x: box.x + box.w / 2, y: box.y + 20, class: 'state-name', 'text-anchor': 'middle' }, name));
    box.lines.forEach((line, i) => {
      g.append(svg('text', { x: box.x + box.w / 2, y: box.y + 34 + i * 14, class: 'state-line', 'text-anchor': 'middle' }, line));
    });
  } else {
    g.append(svg('text', { x: box.x + 9, y: box.y + 17, class: 'state-name compound-name' }, name + (box.type === 'parallel' ? '  ∥' : '')));
    box.lines.forEach((line, i) => {
      g.append(svg('text', { x: box.x + 9, y: box.y + 31 + i * 14, class: 'state-line' }, line));
    });
  }
  return g;
}

/** All active paths: each leaf and its ancestors, and the machine itself (''). */
export function activeSet(leaves) {
  const set = new Set(leaves.length > 0 ? [''] : []);
  for (const leaf of leaves) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) set.add(parts.slice(0, i).join('.'));
  }
  return set;
}

/** Marks active states (`active`), the innermost ones (`active-leaf`) and the arrows that can fire now (`live`). */
export function highlight(root, leaves) {
  const active = activeSet(leaves);
  const leafSet = new Set(leaves);
  for (const g of root.querySelectorAll('g.state')) {
    const path = g.dataset.path;
    g.classList.toggle('active', active.has(path));
    g.classList.toggle('active-leaf', leafSet.has(path));
  }
  for (const g of root.querySelectorAll('g.edge')) g.classList.toggle('live', active.has(g.dataset.from));
  root.dataset.active = leaves.join(' ');
}

/** The transitions of a chart as a folded table (root transitions, which have no arrow, included). */
export function transitionsList(transitions) {
  return el('details', { class: 'transitions' },
    el('summary', {}, `Transitions (${transitions.length})`),
    table([
      { title: 'from', cell: (t) => t.from || '(any state)' },
      { title: 'event', cell: (t) => t.event },
      { title: 'guard', cell: (t) => t.guard ?? '' },
      { title: 'to', cell: (t) => (t.to.length ? t.to.join(', ') : '(stays)') },
    ], transitions),
    el('p', { class: 'muted' }, 'Eventless (always) transitions are drawn only when the stored definition includes them; machine.toJSON() leaves them out.'),
  );
}
