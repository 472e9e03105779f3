// Where each arrow's label goes in a statechart: beside its own arrow, on no other label, state or arrow.

export type Point = [number, number];
export type Anchor = 'start' | 'middle' | 'end';

/** An arrow as a cubic Bézier curve, its label text's width and where layout would put the label first. */
export interface LabelledCurve {
  points: [Point, Point, Point, Point];
  width: number;
  preferred: { x: number; y: number; anchor: Anchor };
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PlacedLabel {
  x: number;
  y: number;
  anchor: Anchor;
}

/** A label's text box around its baseline point (10.5 px text: ascent ~10, descent ~3), with a pixel to spare. */
function boxOf(x: number, y: number, anchor: Anchor, width: number): Box {
  const x0 = anchor === 'start' ? x : anchor === 'end' ? x - width : x - width / 2;
  return { x0: x0 - 1, y0: y - 11, x1: x0 + width + 1, y1: y + 4 };
}

const meets = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const holds = (box: Box, [x, y]: Point) => x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1;

export function bezier([a, b, c, d]: LabelledCurve['points'], t: number): Point {
  const u = 1 - t;
  const [k0, k1, k2, k3] = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return [k0 * a[0] + k1 * b[0] + k2 * c[0] + k3 * d[0], k0 * a[1] + k1 * b[1] + k2 * c[1] + k3 * d[1]];
}

/** Points along a curve no more than ~3 px apart: a label box (13 px tall, tens wide) cannot fall between two. */
function samples(points: LabelledCurve['points']): Point[] {
  let length = 0;
  for (let i = 1; i < 4; i++) length += Math.hypot((points[i] as Point)[0] - (points[i - 1] as Point)[0], (points[i] as Point)[1] - (points[i - 1] as Point)[1]);
  const n = Math.max(16, Math.ceil(length / 3));
  return Array.from({ length: n + 1 }, (_, i) => bezier(points, i / n));
}

const alongArrow = [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8, 0.15, 0.85, 0.1, 0.9];

/** Along the arrow from its middle outwards; at each point beside it to the right, left, above and below, then further. */
function candidates(curve: LabelledCurve): PlacedLabel[] {
  const out: PlacedLabel[] = [curve.preferred];
  for (const gap of [6, 20]) {
    for (const t of alongArrow) {
      const [x, y] = bezier(curve.points, t);
      out.push(
        { x: x + gap, y: y + 4, anchor: 'start' },
        { x: x - gap, y: y + 4, anchor: 'end' },
        { x, y: y - gap, anchor: 'middle' },
        { x, y: y + 9 + gap, anchor: 'middle' },
      );
    }
  }
  return out;
}

/**
 * A place per label, in order: the first candidate whose box touches no label placed before, no obstacle (state
 * boxes and names) and no arrow, the label's own included; else the preferred place moved down until it is clear of
 * all that, or else of labels and obstacles only (an arrow may then cross it).
 */
export function placeLabels(curves: readonly LabelledCurve[], obstacles: readonly Box[]): PlacedLabel[] {
  // Each arrow's points with their bounding box: most candidate boxes are far from most arrows.
  const lines = curves.map((c) => {
    const points = samples(c.points);
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    return { points, bounds: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) } };
  });
  const crossed = (box: Box) => lines.some((line) => line.bounds.x0 < box.x1 && box.x0 < line.bounds.x1 && line.bounds.y0 < box.y1 && box.y0 < line.bounds.y1 && line.points.some((p) => holds(box, p)));
  const taken: Box[] = [];
  return curves.map((curve) => {
    const clear = (box: Box, withArrows: boolean) =>
      !taken.some((t) => meets(t, box)) && !obstacles.some((o) => meets(o, box)) && (!withArrows || !crossed(box));
    const { x, y, anchor } = curve.preferred;
    const below = Array.from({ length: 24 }, (_, i): PlacedLabel => ({ x, y: y + 13 * (i + 1), anchor }));
    const free = (withArrows: boolean) => (c: PlacedLabel) => clear(boxOf(c.x, c.y, c.anchor, curve.width), withArrows);
    const place = candidates(curve).find(free(true)) ?? below.find(free(true)) ?? below.find(free(false)) ?? curve.preferred;
    taken.push(boxOf(place.x, place.y, place.anchor, curve.width));
    return place;
  });
}
