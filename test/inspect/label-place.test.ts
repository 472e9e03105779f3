// Placing arrow labels: beside their own arrow, off other labels, obstacles and arrows; the old nudge when boxed in.
import { describe, expect, it } from 'vitest';
import { bezier, placeLabels, type Box, type LabelledCurve, type PlacedLabel, type Point } from '../../src/inspect/label-place.ts';
import { layoutDiagram, parseDefinition } from '../../src/inspect/index.ts';
import { machineDefinition } from '../../src/definition/index.ts';
import { askStep } from '../steps/fixtures.ts';

/** A straight arrow from a to b, drawn as a cubic curve. */
const line = (a: Point, b: Point, width: number, preferred?: PlacedLabel): LabelledCurve => {
  const [x, y] = bezier([a, a, b, b], 0.5);
  return { points: [a, a, b, b], width, preferred: preferred ?? { x: x + 4, y: y + 4, anchor: 'start' } };
};

/** The text box the placer keeps clear (see label-place.ts): baseline y, 11 px above, 4 below. */
function boxOf(at: PlacedLabel, width: number): Box {
  const x0 = at.anchor === 'start' ? at.x : at.anchor === 'end' ? at.x - width : at.x - width / 2;
  return { x0, y0: at.y - 11, x1: x0 + width, y1: at.y + 4 };
}
const meets = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

describe('placeLabels', () => {
  it('keeps the preferred place when nothing is in the way', () => {
    const arrow = line([0, 0], [0, 100], 60);
    expect(placeLabels([arrow], [])).toEqual([arrow.preferred]);
  });

  it('moves a label off an arrow that crosses its preferred place, and two labels off each other', () => {
    // A vertical arrow whose label would sit right of it, where a horizontal arrow runs.
    const down = line([100, 0], [100, 200], 80, { x: 104, y: 104, anchor: 'start' });
    const across = line([90, 100], [300, 100], 80, { x: 104, y: 104, anchor: 'start' });
    const [a, b] = placeLabels([down, across], []) as [PlacedLabel, PlacedLabel];
    expect(a).not.toEqual(down.preferred);
    expect(meets(boxOf(a, 80), boxOf(b, 80))).toBe(false);
    for (const [at, width] of [[a, 80], [b, 80]] as const) {
      const box = boxOf(at, width);
      for (let t = 0; t <= 1; t += 0.01) {
        for (const arrow of [down, across]) {
          const [x, y] = bezier(arrow.points, t);
          expect(x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1).toBe(false);
        }
      }
    }
  });

  it('keeps off obstacles (state boxes), and falls back below the preferred place when boxed in everywhere', () => {
    const arrow = line([0, 0], [0, 40], 50);
    const wall: Box = { x0: -400, y0: -400, x1: 400, y1: 60 };
    const [at] = placeLabels([arrow], [wall]) as [PlacedLabel];
    expect(at.x).toBe(arrow.preferred.x);
    expect(at.y - 11).toBeGreaterThanOrEqual(60);
  });
});

describe('layoutDiagram of a model step', () => {
  it('places no label on another or on a state', () => {
    const diagram = layoutDiagram(parseDefinition(machineDefinition(askStep())));
    const labels = diagram.edges.map((e) => boxOf({ x: e.labelX, y: e.labelY, anchor: e.anchor }, e.label.length * 6));
    const states = diagram.boxes.filter((b) => b.type === 'atomic' || b.type === 'final').map((b) => ({ x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h }));
    labels.forEach((box, i) => {
      for (const other of [...labels.slice(i + 1), ...states]) expect(meets(box, other)).toBe(false);
    });
  });
});
