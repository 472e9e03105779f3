// Parallel regions: two model steps in one parallel state overlap on the model server and both results are kept.
import { setup } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, initialHarnessContext, modelStep, stepImplementations, type HarnessContext } from '../../src/steps/index.ts';
import { answerSchema, contextOf, lastUser, modulePath, removeTempDirs, small, tempStore, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

interface ReviewContext extends HarnessContext {
  topic: string;
}

function reviewWorkflow(host: string) {
  const step = (id: string) =>
    modelStep<ReviewContext>({
      id,
      prompt: ({ context }) => [{ role: 'user', content: `${id}: ${context.topic}` }],
      schema: answerSchema,
      ladder: [small],
      maxRetries: 0,
      config: { host, timeoutMs: 3000 },
    });
  const security = step('security');
  const style = step('style');
  const impl = stepImplementations<ReviewContext>();
  const machine = setup({
    types: { context: {} as ReviewContext, input: {} as { topic: string } },
    actors: { ...impl.actors, ...security.actors, ...style.actors },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'review',
    context: ({ input }) => ({ ...initialHarnessContext(), topic: input.topic }),
    initial: 'reviewing',
    states: {
      reviewing: {
        type: 'parallel',
        states: {
          security: { initial: 'run', states: { run: security.state({ onDone: 'ok', onFlagged: 'ok' }), ok: { type: 'final' } } },
          style: { initial: 'run', states: { run: style.state({ onDone: 'ok', onFlagged: 'ok' }), ok: { type: 'final' } } },
        },
        onDone: 'done',
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({
      security: context.steps.security?.result?.data ?? null,
      style: context.steps.style?.result?.data ?? null,
      flags: context.flags,
    }),
  });
  return defineWorkflow({ id: 'review', input: z.object({ topic: z.string() }), machine });
}

describe('parallel regions', () => {
  it('runs a model step in each region at the same time and keeps both results', async () => {
    const sim = await simulator({
      numParallel: 2,
      latency: { ttftMs: 150 },
      script: { '*': (req) => validReply(lastUser(req).split(':')[0]) },
    });
    const record = await runWorkflow({
      store: tempStore(),
      workflow: reviewWorkflow(sim.url),
      modulePath,
      input: { topic: 'a login form' },
      pool: new HostPool(2),
    });
    expect(record.status).toBe('done');
    expect(record.output).toEqual({
      security: { answer: 'security', confidence: 0.9 },
      style: { answer: 'style', confidence: 0.9 },
      flags: [],
    });
    const context = contextOf<ReviewContext>(record);
    expect(context.steps.security?.attempts).toHaveLength(1);
    expect(context.steps.style?.attempts).toHaveLength(1);
    expect(sim.stats().maxConcurrent).toBe(2);
    // Each region's call has its own journal key, so neither result can be replayed for the other.
    const keys = record.journal.map((entry) => entry.key);
    expect(new Set(keys).size).toBe(2);
    expect(record.journal.map((entry) => entry.step).sort()).toEqual(['security', 'style']);
  });
});
