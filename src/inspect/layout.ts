// Lays a statechart out as nested boxes and arrows (plain numbers and SVG path strings the page only has to draw).
import { allStates, eventLabel, invokeSources, type StateDef, type StateType } from '../definition/index.ts';
import { bezier, placeLabels, type Box, type LabelledCurve, type PlacedLabel, type Point } from './label-place.ts';

export interface DiagramBox {
  path: string;
  id: string;
  key: string;
  type: StateType;
  x: number;
  y: number;
  w: number;
  h: number;
  depth: number;
  /** Extra lines under the name: invoked actors and tags. */
  lines: string[];
}

export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
  /** SVG path data of the arrow's curve; the page adds the arrowhead. */
  d: string;
  labelX: number;
  labelY: number;
  /** SVG text-anchor of the label at (labelX, labelY). */
  anchor: 'start' | 'middle' | 'end';
}

export interface DiagramLine {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A transition as listed under the diagram (root transitions, which have no arrow, included). */
export interface TransitionRow {
  from: string;
  event: string;
  guard: string | null;
  to: string[];
}

export interface Diagram {
  /** Smallest x drawn on (arrows that loop back on the left may go below 0): the viewBox is `left 0 width height`. */
  left: number;
  width: number;
  height: number;
  /** Parents before children, so drawing in order nests correctly. */
  boxes: DiagramBox[];
  edges: DiagramEdge[];
  /** Dashed lines between the regions of parallel states. */
  separators: DiagramLine[];
  /** Arrows from an initial-state dot into the initial child. */
  initials: DiagramLine[];
  transitions: TransitionRow[];
}

const charW = 7;
const lineH = 14;
const pad = 16;
const header = 24;
const gapX = 44;
const gapY = 48;
const margin = 12;

interface Sized {
  state: StateDef;
  w: number;
  h: number;
  lines: string[];
  kids: { node: Sized; dx: number; dy: number }[];
  separators: DiagramLine[];
}

const textWidth = (text: string) => text.length * charW;
/** Arrow labels are set smaller than state names. */
const labelWidth = (text: string) => text.length * 6;

function linesOf(state: StateDef): string[] {
  return [...state.invokes.map((i) => `invoke ${i.src}`), ...state.tags.map((t) => `tag ${t}`)];
}

const inside = (path: string, ancestor: string) => path === ancestor || path.startsWith(`${ancestor}.`);

/**
 * Rows of a compound state's children: breadth-first from the initial child along transitions between siblings
 * (a transition from deep inside one child to deep inside another counts), so the flow reads top to bottom.
 */
function rowsOf(state: StateDef, pathOfId: ReadonlyMap<string, string>): StateDef[][] {
  const kids = state.children;
  const next = kids.map(() => new Set<number>());
  kids.forEach((kid, i) => {
    for (const inner of allStates(kid)) {
      for (const t of inner.transitions) {
        for (const target of t.targets) {
          const targetPath = pathOfId.get(target);
          if (targetPath === undefined) continue;
          const j = kids.findIndex((k) => inside(targetPath, k.path));
          if (j >= 0 && j !== i) next[i]?.add(j);
        }
      }
    }
  });
  const start = Math.max(0, kids.findIndex((k) => k.id === state.initial));
  const rank = new Map<number, number>([[start, 0]]);
  const queue = [start];
  while (queue.length > 0) {
    const i = queue.shift() as number;
    for (const j of next[i] ?? []) {
      if (rank.has(j)) continue;
      rank.set(j, (rank.get(i) ?? 0) + 1);
      queue.push(j);
    }
  }
  const last = Math.max(...rank.values());
  const rows: StateDef[][] = [];
  kids.forEach((kid, i) => {
    const r = rank.get(i) ?? last + 1; // unreachable by events (e.g. only by `always`, which toJSON omits)
    (rows[r] ??= []).push(kid);
  });
  return rows.filter((row) => row.length > 0);
}

interface Context {
  pathOfId: ReadonlyMap<string, string>;
  /** Space between two boxes side by side in a row: room for the label of an arrow between them. */
  gap(a: StateDef, b: StateDef): number;
}

function measure(state: StateDef, ctx: Context): Sized {
  const lines = linesOf(state);
  const labelW = Math.max(textWidth(state.key), ...lines.map(textWidth));
  if (state.children.length === 0) {
    return { state, w: Math.max(84, labelW + 2 * pad), h: 32 + lines.length * lineH, lines, kids: [], separators: [] };
  }
  const top = header + lines.length * lineH + pad;
  const sized = new Map(state.children.map((c) => [c, measure(c, ctx)]));
  const kids: Sized['kids'] = [];
  const separators: DiagramLine[] = [];

  if (state.type === 'parallel') {
    // Regions side by side, stretched to one height, a dashed line in each gap.
    const regions = state.children.map((c) => sized.get(c) as Sized);
    const regionH = Math.max(...regions.map((r) => r.h));
    let x = pad;
    regions.forEach((region, i) => {
      if (i > 0) {
        separators.push({ x1: x - gapX / 2, y1: top - pad / 2, x2: x - gapX / 2, y2: top + regionH + pad / 2 });
      }
      region.h = regionH;
      kids.push({ node: region, dx: x, dy: top });
      x += region.w + gapX;
    });
    const w = Math.max(x - gapX + pad, labelW + 2 * pad);
    return { state, w, h: top + regionH + pad, lines, kids, separators };
  }

  const rows = rowsOf(state, ctx.pathOfId).map((row) => row.map((c) => sized.get(c) as Sized));
  const gapAfter = (row: Sized[], i: number) => {
    const next = row[i + 1];
    return next ? ctx.gap((row[i] as Sized).state, next.state) : 0;
  };
  const rowW = (row: Sized[]) => row.reduce((sum, n, i) => sum + n.w + gapAfter(row, i), 0);
  const innerW = Math.max(...rows.map(rowW), labelW);
  let y = top;
  for (const row of rows) {
    let x = pad + (innerW - rowW(row)) / 2;
    const rowH = Math.max(...row.map((n) => n.h));
    row.forEach((node, i) => {
      kids.push({ node, dx: x, dy: y });
      x += node.w + gapAfter(row, i);
    });
    y += rowH + gapY;
  }
  return { state, w: innerW + 2 * pad, h: y - gapY + pad, lines, kids, separators };
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

type Side = 'left' | 'right';

interface Curve {
  points: [Point, Point, Point, Point];
  label: { x: number; y: number; anchor: 'start' | 'middle' | 'end' };
}


/** The curve of one arrow, and where its label sits: down the page, back up a free side, across a row, a loop. */
function curve(s: Rect, t: Rect, lane: number, side: Side): Curve {
  const beside = (points: Curve['points'], dx: number, anchor: 'start' | 'end'): Curve => {
    const [x, y] = bezier(points, 0.5);
    return { points, label: { x: x + dx, y: y + 4, anchor } };
  };
  if (s === t) {
    const x = s.x + s.w;
    const loop = x + 36 + lane * 8;
    return { points: [[x, s.y + s.h * 0.3], [loop, s.y - 6], [loop, s.y + s.h + 6], [x, s.y + s.h * 0.7]], label: { x: loop - 4, y: s.y + s.h / 2 + 4, anchor: 'start' } };
  }
  if (t.y >= s.y + s.h) {
    const sx = s.x + s.w / 2 + lane * 10;
    const tx = t.x + t.w / 2 + lane * 10;
    const mid = (s.y + s.h + t.y) / 2;
    return beside([[sx, s.y + s.h], [sx, mid], [tx, mid], [tx, t.y]], 4, 'start');
  }
  if (t.y + t.h <= s.y) {
    if (side === 'left') {
      const bulge = Math.min(s.x, t.x) - 40 - lane * 14;
      return beside([[s.x, s.y + s.h / 2], [bulge, s.y + s.h / 2], [bulge, t.y + t.h / 2], [t.x, t.y + t.h / 2]], -4, 'end');
    }
    const bulge = Math.max(s.x + s.w, t.x + t.w) + 40 + lane * 14;
    return beside([[s.x + s.w, s.y + s.h / 2], [bulge, s.y + s.h / 2], [bulge, t.y + t.h / 2], [t.x + t.w, t.y + t.h / 2]], 4, 'start');
  }
  if (t.x >= s.x + s.w || t.x + t.w <= s.x) {
    // Across a row: rightwards above the line, leftwards below it, so arrows both ways between two boxes stay apart.
    const right = t.x >= s.x + s.w;
    const y = Math.max(s.y, t.y) + Math.min(s.h, t.h) / 2 + (right ? -6 : 6) + lane * 8;
    const [x0, x1] = right ? [s.x + s.w, t.x] : [s.x, t.x + t.w];
    const m = (x0 + x1) / 2;
    return { points: [[x0, y], [m, y], [m, y], [x1, y]], label: { x: m, y: right ? y - 5 : y + 13, anchor: 'middle' } };
  }
  // Nested (into an ancestor or descendant): a short hook from the source's bottom to the target's top edge.
  const x = s.x + s.w / 2;
  return beside([[x, s.y + s.h], [x, s.y + s.h + 24], [t.x + t.w - 24, t.y - 24], [t.x + t.w - 24, t.y]], 4, 'start');
}

interface FreeSides {
  left: boolean;
  right: boolean;
}

/** Which sides of each box have no sibling next to it in its row: where an arrow back up can leave without crossing. */
function sidesFree(boxes: readonly DiagramBox[]): Map<string, FreeSides> {
  const parent = (path: string) => (path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : path === '' ? null : '');
  const free = new Map<string, FreeSides>();
  for (const box of boxes) {
    const row = boxes.filter((b) => b !== box && parent(b.path) === parent(box.path) && b.y < box.y + box.h && box.y < b.y + b.h);
    free.set(box.path, { left: !row.some((b) => b.x < box.x), right: !row.some((b) => b.x > box.x) });
  }
  return free;
}

function backSide(from: FreeSides | undefined, to: FreeSides | undefined): Side {
  if (from?.right && to?.right) return 'right';
  if (from?.left && to?.left) return 'left';
  return from?.left && !from.right ? 'left' : 'right';
}

/** 'done: model:ask' and 'error: model:ask' on one arrow read 'done|error: model:ask'. */
function mergeLabels(labels: readonly string[]): string {
  const merged: string[] = [];
  const bySubject = new Map<string, number>();
  for (const label of labels) {
    const m = /^(done|error|snapshot): (.+)$/.exec(label);
    const at = m ? bySubject.get(m[2] as string) : undefined;
    if (m && at !== undefined) merged[at] = merged[at]?.replace(/^([a-z|]+):/, `$1|${m[1]}:`) ?? label;
    else {
      if (m) bySubject.set(m[2] as string, merged.length);
      merged.push(label);
    }
  }
  return merged.join(' / ');
}

/** What a label may not cover: a leaf state's whole box, a compound state's name and lines at its top left. */
function obstaclesOf(boxes: readonly DiagramBox[]): Box[] {
  return boxes.map((b) => {
    if (b.type === 'atomic' || b.type === 'final' || b.type === 'history') return { x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h };
    const name = b.path === '' ? `${b.id} (machine)` : b.key;
    const textW = Math.max(textWidth(name), ...b.lines.map(textWidth));
    return { x0: b.x, y0: b.y, x1: b.x + 9 + textW + 8, y1: b.y + header + b.lines.length * lineH };
  });
}

/** Boxes and arrows for a statechart; the root box is the machine itself. */
export function layoutDiagram(root: StateDef): Diagram {
  const states = allStates(root);
  const pathOfId = new Map(states.map((s) => [s.id, s.path]));
  const sources = invokeSources(root);

  const transitions: TransitionRow[] = [];
  // One arrow per pair of states, its label the transitions it stands for ('done|error: model:ask').
  const pairs = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const state of states) {
    for (const t of state.transitions) {
      const event = eventLabel(t.eventType, sources);
      const to = t.targets.map((id) => pathOfId.get(id) ?? `#${id}`);
      transitions.push({ from: state.path, event, guard: t.guard, to });
      if (state.path === '') continue; // a root transition leaves any state: listed, not drawn
      for (const target of to.length > 0 ? to : [state.path]) {
        const key = `${state.path}->${target}`;
        const pair = pairs.get(key) ?? { from: state.path, to: target, labels: [] };
        pair.labels.push(t.guard ? `${event} [${t.guard}]` : event);
        pairs.set(key, pair);
      }
    }
  }
  const labelOf = (from: string, to: string) => {
    const pair = pairs.get(`${from}->${to}`);
    return pair ? mergeLabels(pair.labels) : '';
  };
  const gap = (a: StateDef, b: StateDef) =>
    Math.max(gapX, labelWidth(labelOf(a.path, b.path)) + 20, labelWidth(labelOf(b.path, a.path)) + 20);
  const sized = measure(root, { pathOfId, gap });

  const boxes: DiagramBox[] = [];
  const separators: DiagramLine[] = [];
  const initials: DiagramLine[] = [];
  const rects = new Map<string, Rect>();
  const place = (node: Sized, x: number, y: number, depth: number) => {
    const { state } = node;
    boxes.push({ path: state.path, id: state.id, key: state.key, type: state.type, x, y, w: node.w, h: node.h, depth, lines: node.lines });
    rects.set(state.path, { x, y, w: node.w, h: node.h });
    for (const s of node.separators) separators.push({ x1: x + s.x1, y1: y + s.y1, x2: x + s.x2, y2: y + s.y2 });
    for (const kid of node.kids) {
      place(kid.node, x + kid.dx, y + kid.dy, depth + 1);
      if (state.type === 'compound' && kid.node.state.id === state.initial) {
        const ky = y + kid.dy + 16;
        initials.push({ x1: x + kid.dx - 13, y1: ky, x2: x + kid.dx, y2: ky });
      }
    }
  };
  place(sized, margin, margin, 0);

  const free = sidesFree(boxes);
  const edges: DiagramEdge[] = [];
  let [minX, maxX, maxY] = [margin, margin + sized.w, margin + sized.h];
  const lanes = new Map<string, number>();
  const drawn: { from: string; to: string; label: string; curve: LabelledCurve }[] = [];
  for (const { from, to } of pairs.values()) {
    const s = rects.get(from);
    const e = rects.get(to);
    if (!s || !e) continue;
    const label = labelOf(from, to);
    // Arrows into one state are spread apart so their heads and bends do not overlap.
    const lane = lanes.get(to) ?? 0;
    lanes.set(to, lane + 1);
    const { points, label: preferred } = curve(s, e, lane, backSide(free.get(from), free.get(to)));
    drawn.push({ from, to, label, curve: { points, width: labelWidth(label), preferred } });
  }
  const placed = placeLabels(drawn.map((d) => d.curve), obstaclesOf(boxes));
  drawn.forEach(({ from, to, label, curve: { points, width } }, i) => {
    const at = placed[i] as PlacedLabel;
    const x0 = at.anchor === 'start' ? at.x : at.anchor === 'end' ? at.x - width : at.x - width / 2;
    minX = Math.min(minX, x0, ...points.map((p) => p[0]));
    maxX = Math.max(maxX, x0 + width, ...points.map((p) => p[0]));
    maxY = Math.max(maxY, at.y + 6, ...points.map((p) => p[1]));
    const [a, b, c, d] = points.map(([px, py]) => `${round(px)},${round(py)}`);
    edges.push({ from, to, label, d: `M${a} C${b} ${c} ${d}`, labelX: round(at.x), labelY: round(at.y), anchor: at.anchor });
  });
  const left = Math.floor(Math.min(0, minX - margin));
  return { left, width: Math.ceil(maxX + margin) - left, height: Math.ceil(maxY + margin), boxes, edges, separators, initials, transitions };
}
