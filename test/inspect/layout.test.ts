// The statechart layout from stored definitions: nesting, parallel regions, arrows and their labels, active events.
import { createMachine, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { acceptedEvents, DefinitionError, layoutDiagram, parseDefinition, type Diagram, type DiagramBox } from '../../src/inspect/index.ts';
import { cleanMachine } from '../check/fixtures/machines.ts';

/** What the run file holds: machine.toJSON() after a JSON round trip. */
const stored = (machine: AnyStateMachine): unknown => JSON.parse(JSON.stringify(machine.toJSON()));

const boxOf = (diagram: Diagram, path: string): DiagramBox => {
  const box = diagram.boxes.find((b) => b.path === path);
  if (!box) throw new Error(`no box ${path}`);
  return box;
};

const within = (inner: DiagramBox, outer: DiagramBox) =>
  inner.x > outer.x && inner.y > outer.y && inner.x + inner.w < outer.x + outer.w && inner.y + inner.h < outer.y + outer.h;

const overlap = (a: DiagramBox, b: DiagramBox) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutDiagram', () => {
  const diagram = layoutDiagram(parseDefinition(stored(cleanMachine)));

  it('draws every state once, each inside its parent, siblings apart', () => {
    const paths = diagram.boxes.map((b) => b.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toEqual(expect.arrayContaining(['', 'drafting', 'drafting.attempting', 'review', 'review.security', 'review.style.passed', 'done']));
    for (const box of diagram.boxes) {
      if (box.path === '') continue;
      const parent = box.path.includes('.') ? box.path.slice(0, box.path.lastIndexOf('.')) : '';
      expect(within(box, boxOf(diagram, parent)), `${box.path} inside ${parent || 'the machine'}`).toBe(true);
      for (const sibling of diagram.boxes) {
        const siblingParent = sibling.path.includes('.') ? sibling.path.slice(0, sibling.path.lastIndexOf('.')) : '';
        if (sibling !== box && sibling.path !== '' && siblingParent === parent) expect(overlap(box, sibling), `${box.path} / ${sibling.path}`).toBe(false);
      }
    }
    expect(diagram.width).toBeGreaterThanOrEqual(Math.max(...diagram.boxes.map((b) => b.x + b.w)));
    expect(diagram.height).toBeGreaterThanOrEqual(Math.max(...diagram.boxes.map((b) => b.y + b.h)));
  });

  it('puts parallel regions side by side, one height, with a dashed separator between them', () => {
    const security = boxOf(diagram, 'review.security');
    const style = boxOf(diagram, 'review.style');
    expect(boxOf(diagram, 'review').type).toBe('parallel');
    expect(security.y).toBe(style.y);
    expect(security.h).toBe(style.h);
    expect(security.x + security.w).toBeLessThan(style.x);
    expect(diagram.separators).toHaveLength(1);
    const [line] = diagram.separators;
    expect(line?.x1).toBe(line?.x2);
    expect(line?.x1).toBeGreaterThan(security.x + security.w);
    expect(line?.x1).toBeLessThan(style.x);
  });

  it('reads the flow top to bottom: a state sits below the states that lead to it', () => {
    expect(boxOf(diagram, 'review').y).toBeGreaterThan(boxOf(diagram, 'drafting').y + boxOf(diagram, 'drafting').h);
    expect(boxOf(diagram, 'awaitingApproval').y).toBeGreaterThan(boxOf(diagram, 'review').y);
    expect(boxOf(diagram, 'done').y).toBeGreaterThan(boxOf(diagram, 'awaitingApproval').y);
  });

  it('labels arrows with the event, the invoked actor and the guard; marks initial states', () => {
    const labels = diagram.edges.map((e) => `${e.from} -> ${e.to}: ${e.label}`);
    expect(labels).toEqual(expect.arrayContaining([
      'awaitingApproval -> done: APPROVE',
      'awaitingApproval -> drafting: REJECT',
      'drafting.attempting -> drafting.backoff: error: callModel [canRetry]',
      'drafting.attempting -> drafting.validated: done: callModel',
      'drafting -> review: done',
    ]));
    for (const edge of diagram.edges) expect(edge.d).toMatch(/^M[\d.-]+,[\d.-]+ C/);
    // The machine, drafting, and each region start somewhere.
    expect(diagram.initials).toHaveLength(4);
  });

  it('names delays, resolves custom ids, lists root transitions without drawing them, loops targetless ones', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'idle',
      on: { RESET: '.idle' },
      states: {
        idle: { on: { GO: 'waiting', PING: {} } },
        waiting: { id: 'hold', after: { 1500: 'finished' }, on: { NUDGE: '#hold' } },
        finished: { type: 'final' },
      },
    });
    const root = parseDefinition(stored(machine));
    expect(root.children.find((c) => c.key === 'waiting')?.id).toBe('hold');
    const d = layoutDiagram(root);
    const labels = d.edges.map((e) => `${e.from} -> ${e.to}: ${e.label}`);
    expect(labels).toEqual(expect.arrayContaining(['idle -> waiting: GO', 'waiting -> finished: after 1500ms', 'waiting -> waiting: NUDGE', 'idle -> idle: PING']));
    expect(d.edges.some((e) => e.from === '')).toBe(false);
    expect(d.transitions).toContainEqual({ from: '', event: 'RESET', guard: null, to: ['idle'] });
  });

  it('draws eventless transitions only when the definition has them: machine.toJSON() leaves `always` out', () => {
    const machine = createMachine({ id: 'a', initial: 'check', states: { check: { always: 'end' }, end: { type: 'final' } } });
    const definition = stored(machine) as { states: { check: Record<string, unknown> } };
    expect(layoutDiagram(parseDefinition(definition)).edges).toEqual([]);
    definition.states.check.always = [{ target: ['#a.end'], eventType: '' }];
    expect(layoutDiagram(parseDefinition(definition)).edges.map((e) => `${e.from} -> ${e.to}: ${e.label}`)).toEqual(['check -> end: always']);
  });

  it('refuses what is not a machine definition', () => {
    expect(() => parseDefinition(null)).toThrow(DefinitionError);
    expect(() => parseDefinition({ id: 'x' })).toThrow(DefinitionError);
  });
});

describe('acceptedEvents', () => {
  it('collects the events of every active state and its ancestors, without XState internals', () => {
    const root = parseDefinition(stored(cleanMachine));
    expect(acceptedEvents(root, ['awaitingApproval'])).toEqual(['APPROVE', 'REJECT']);
    expect(acceptedEvents(root, ['review.security.checking', 'review.style.passed'])).toEqual([]);
  });
});
