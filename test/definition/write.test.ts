import { and, createMachine, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { definitionHash } from '../../src/runtime/definition.ts';
import { machineDefinition } from '../../src/definition/index.ts';

function parent(childStates: Record<string, { type?: 'final' }>) {
  const child = createMachine({ id: 'child', initial: 'working', states: childStates });
  return setup({ actors: { child }, guards: { ready: () => true, fresh: () => true } }).createMachine({
    id: 'parent',
    initial: 'waiting',
    states: {
      waiting: { always: { guard: and(['ready', 'fresh']), target: 'running' } },
      running: { invoke: { src: 'child', onDone: 'done', onError: 'done' } },
      done: { type: 'final' },
    },
  });
}

describe('machineDefinition', () => {
  it('keeps what toJSON() drops: eventless transitions with their combined guards', () => {
    const json = machineDefinition(parent({ working: { type: 'final' } })) as { states: { waiting: { always: unknown[] } } };
    expect(json.states.waiting.always).toEqual([{ eventType: '', target: ['#parent.running'], guard: { type: 'and(ready, fresh)' } }]);
  });

  it('includes sub-agent machines, so a changed sub-agent changes the hash that guards resume', () => {
    const before = parent({ working: { type: 'final' } });
    const after = parent({ working: {}, checking: { type: 'final' } });
    expect(Object.keys((machineDefinition(before) as { actors: object }).actors)).toEqual(['child']);
    expect(definitionHash(after)).not.toBe(definitionHash(before));
    expect(definitionHash(parent({ working: { type: 'final' } }))).toBe(definitionHash(before));
  });

  it('is frozen and shared by every run of a machine', () => {
    const machine = parent({ working: { type: 'final' } });
    expect(machineDefinition(machine)).toBe(machineDefinition(machine));
    expect(Object.isFrozen(machineDefinition(machine))).toBe(true);
  });
});
