// A wait's declared events: kept on the state node for the runtime, out of the machine's definition and its hash.
import { setup } from 'xstate';
import { z } from 'zod';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { definitionHash } from '../../src/runtime/index.ts';
import { checkedEvent } from '../../src/runtime/events.ts';
import { waitFor, type EventsOf } from '../../src/steps/index.ts';

const decisions = { APPROVE: z.object({ by: z.string().min(1), note: z.string().default('') }), REJECT: z.object({}) };

function reviewMachine(declared: boolean) {
  return setup({ types: { events: {} as EventsOf<typeof decisions> } }).createMachine({
    id: 'review',
    initial: 'outer',
    states: {
      outer: {
        initial: 'review',
        states: { review: { ...(declared ? waitFor({ events: decisions }) : waitFor()), on: { APPROVE: '#review.done', REJECT: '#review.done' } } },
      },
      done: { type: 'final' },
    },
  });
}

describe('waitFor({ events })', () => {
  it('types the events with their fields on them', () => {
    expectTypeOf<EventsOf<typeof decisions>>().toEqualTypeOf<{ type: 'APPROVE'; by: string; note: string } | { type: 'REJECT' }>();
  });

  it('leaves the definition, and so its hash, as it was: declaring events is no change of structure', () => {
    expect(definitionHash(reviewMachine(true))).toBe(definitionHash(reviewMachine(false)));
  });

  it('parses a declared payload in a nested state, and passes an undeclared one as is', () => {
    const value = { outer: 'review' };
    expect(checkedEvent('r', reviewMachine(true), value, { type: 'APPROVE', by: 'ann', extra: 1 })).toEqual({ type: 'APPROVE', by: 'ann', note: '' });
    expect(() => checkedEvent('r', reviewMachine(true), value, { type: 'APPROVE', by: '' })).toThrow(/^run r refuses APPROVE: its payload does not match what state outer\.review declared \(by: /);
    expect(checkedEvent('r', reviewMachine(false), value, { type: 'APPROVE', by: '' })).toEqual({ type: 'APPROVE', by: '' });
    expect(checkedEvent('r', reviewMachine(true), 'done', { type: 'APPROVE' })).toEqual({ type: 'APPROVE' });
  });

  it('refuses a schema that is not zod 4', () => {
    // @ts-expect-error a zod 3 schema (it has _def, no _zod) is not a zod 4 schema
    expect(() => waitFor({ events: { APPROVE: { _def: {} } } })).toThrow(/waitFor event APPROVE/);
  });
});
