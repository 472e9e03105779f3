// Reading an accepted step's data: `acceptedData` gives `T` where XState's guards leave `T | null`, and a machine that
// reads a flagged step as accepted fails loudly instead of carrying a null.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/index.ts';
import { acceptedData, defineWorkflow, isAccepted, stepGuards, flagsFrom, type StepOutput } from '../../src/steps/index.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { askStep, invalidReply, modulePath, removeTempDirs, tempStore, validReply, type Answer } from './fixtures.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

/** One ask step; with `guarded`, the flagged branch comes first, as it should; without it (never taken), the machine is wrong. */
function workflowOf(host: string, guarded: boolean) {
  const machine = setup({
    types: { context: {} as { answer: Answer | null; flags: string[] }, output: {} as { answer: Answer | null; flags: string[] } },
    actors: { ask: askStep({ config: { host, timeoutMs: 2000 } }) },
    guards: { ...stepGuards, never: () => false },
  }).createMachine({
    context: { answer: null, flags: [] },
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          src: 'ask',
          input: { question: 'What is six times seven?' },
          onDone: [
            { guard: guarded ? 'stepFlagged' : 'never', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            { target: 'done', actions: assign({ answer: ({ event }) => acceptedData(event) }) },
          ],
        },
      },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => context,
  });
  return defineWorkflow({ id: 'accepted', input: z.object({}), machine });
}

describe('acceptedData', () => {
  it('is typed by the step schema, with no null to handle', () => {
    expectTypeOf(acceptedData<Answer>).returns.toEqualTypeOf<Answer>();
    const output: StepOutput<Answer> = { status: 'flagged', data: null, result: null, attempts: [], reasons: [], flags: [] };
    expectTypeOf(output.data).toEqualTypeOf<Answer | null>();
    if (isAccepted(output)) {
      expectTypeOf(output.data).toEqualTypeOf<Answer>();
      expectTypeOf(output.result.score).toEqualTypeOf<number | null>();
    }
    expect(isAccepted(output)).toBe(false);
  });

  it("gives the accepted step's data to the machine", async () => {
    const sim = await simulator({ script: { '*': () => validReply('42') } });
    const record = await runWorkflow({ store: tempStore(), workflow: workflowOf(sim.url, true), modulePath, input: {} });
    expect(record.status).toBe('done');
    expect(record.output).toEqual({ answer: { answer: '42', confidence: 0.9 }, flags: [] });
  });

  it('fails the run, saying why, when a machine reads a flagged step as accepted', async () => {
    const sim = await simulator({ script: { '*': () => invalidReply } });
    const wrong = await runWorkflow({ store: tempStore(), workflow: workflowOf(sim.url, false), modulePath, input: {} });
    expect(wrong.status).toBe('failed');
    expect(wrong.error).toMatch(/^acceptedData: the step ended flagged \(ask: .*\); branch on stepFlagged before reading its data$/);
    // With the flagged branch first, the same replies flag the run instead.
    const right = await runWorkflow({ store: tempStore(), workflow: workflowOf(sim.url, true), modulePath, input: {} });
    expect(right.status).toBe('flagged');
    expect(right.output?.answer).toBeNull();
  });
});
