// Parallel regions: two model steps in one parallel state overlap on the model server and both results are kept.
import { assign, createActor, setup, toPromise } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, flagsFrom, stepGuards } from '../../src/steps/index.ts';
import { askStep, lastUser, modulePath, removeTempDirs, small, tempStore, validReply, type Answer } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

type Aspect = 'security' | 'style';

interface ReviewContext {
  topic: string;
  answers: Partial<Record<Aspect, Answer | null>>;
  flags: string[];
}

function reviewMachine(host: string) {
  const step = (id: Aspect) =>
    askStep({ id, prompt: (input) => [{ role: 'user', content: `${id}: ${input.question}` }], ladder: [small], maxRetries: 0, config: { host, timeoutMs: 3000 } });
  const review = setup({
    types: { context: {} as ReviewContext, input: {} as { topic: string } },
    actors: { security: step('security'), style: step('style') },
    guards: stepGuards,
  });
  /** One region: its step invoked by name, its answer kept under the same name. */
  const region = (id: Aspect) =>
    review.createStateConfig({
      initial: 'run',
      states: {
        run: {
          invoke: {
            id,
            src: id,
            input: ({ context }) => ({ question: context.topic }),
            onDone: [
              { guard: 'stepFlagged', target: 'ok', actions: assign({ flags: flagsFrom() }) },
              { target: 'ok', actions: assign({ answers: ({ context, event }) => ({ ...context.answers, [id]: event.output.data }) }) },
            ],
            onError: 'ok',
          },
        },
        ok: { type: 'final' },
      },
    });
  return review.createMachine({
    id: 'review',
    context: ({ input }) => ({ topic: input.topic, answers: {}, flags: [] }),
    initial: 'reviewing',
    states: {
      reviewing: { type: 'parallel', states: { security: region('security'), style: region('style') }, onDone: 'done' },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ security: context.answers.security ?? null, style: context.answers.style ?? null, flags: context.flags }),
  });
}

const reply = (req: Parameters<typeof lastUser>[0]) => validReply(lastUser(req).split(':')[0]);

describe('parallel regions', () => {
  it('runs a model step in each region at the same time and keeps both results', async () => {
    const sim = await simulator({ numParallel: 2, latency: { ttftMs: 150 }, script: { '*': reply } });
    const output = await toPromise(createActor(reviewMachine(sim.url), { input: { topic: 'a login form' } }).start());
    expect(output).toEqual({
      security: { answer: 'security', confidence: 0.9 },
      style: { answer: 'style', confidence: 0.9 },
      flags: [],
    });
    expect(sim.stats().completed).toBe(2);
    expect(sim.stats().maxConcurrent).toBe(2);
  });

  it("journals each region's call under its own key", async () => {
    const sim = await simulator({ numParallel: 2, script: { '*': reply } });
    const machine = reviewMachine(sim.url);
    const workflow = defineWorkflow({ id: 'review', input: z.object({ topic: z.string() }), machine });
    const record = await runWorkflow({ store: tempStore(), workflow, modulePath, input: { topic: 'a login form' }, limiter: new HostPool(2) });
    expect(record.status).toBe('done');
    // Each region's call has its own journal key, so neither result can be replayed for the other.
    expect(new Set(record.journal.map((entry) => entry.key)).size).toBe(2);
    expect(record.journal.map((entry) => entry.step).sort()).toEqual(['security', 'style']);
  });
});
