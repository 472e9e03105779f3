// Bounded fan-out: at most `concurrency` children at once, results kept in item order, empty lists and bad limits.
import { fromPromise, setup, type AnyActorLogic } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, fanOut, initialHarnessContext, modelStep, stepImplementations, type HarnessContext } from '../../src/steps/index.ts';
import { answerSchema, contextOf, lastUser, modulePath, removeTempDirs, small, tempStore, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

interface DocContext extends HarnessContext {
  doc: string;
}

/** The child run once per item: a machine with one model step that summarises its document. */
function summarizer(host: string) {
  const summarize = modelStep<DocContext>({
    id: 'summarize',
    prompt: ({ context }) => [{ role: 'user', content: context.doc }],
    schema: answerSchema,
    ladder: [small],
    maxRetries: 0,
    config: { host, timeoutMs: 3000 },
  });
  const impl = stepImplementations<DocContext>();
  return setup({
    types: { context: {} as DocContext, input: {} as { doc: string; index: number } },
    actors: { ...impl.actors, ...summarize.actors },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'summarizer',
    context: ({ input }) => ({ ...initialHarnessContext(), doc: input.doc }),
    initial: 'asking',
    states: { asking: summarize.state({ onDone: 'done', onFlagged: 'done' }), done: { type: 'final' } },
    output: ({ context }) => ({ summary: (context.steps.summarize?.result?.data as { answer?: string } | undefined)?.answer ?? null, flags: context.flags }),
  });
}

interface BatchContext extends HarnessContext {
  docs: string[];
}

function batchWorkflow(child: AnyActorLogic, concurrency: number) {
  const fan = fanOut<BatchContext, string>({
    id: 'summaries',
    src: 'child',
    items: ({ context }) => context.docs,
    input: ({ item, index }) => ({ doc: item, index }),
    concurrency,
  });
  const impl = stepImplementations<BatchContext>();
  const machine = setup({
    types: { context: {} as BatchContext, input: {} as { docs: string[] } },
    actors: { ...impl.actors, child },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'batch',
    context: ({ input }) => ({ ...initialHarnessContext(), docs: input.docs }),
    initial: 'fanning',
    states: { fanning: fan.state({ onDone: 'done' }), done: { type: 'final' } },
    output: ({ context }) => ({ results: context.fanouts.summaries?.results ?? [], errors: context.fanouts.summaries?.errors ?? [] }),
  });
  return defineWorkflow({ id: 'batch', input: z.object({ docs: z.array(z.string()) }), machine });
}

const docs = ['doc-0', 'doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5'];

describe('fan-out', () => {
  it('runs 6 items at most 2 at a time and keeps results in item order', async () => {
    const sim = await simulator({
      numParallel: 4,
      latency: { ttftMs: 100 },
      script: {
        // Even items answer later than odd ones, so completion order differs from item order.
        '*': async (req) => {
          const doc = lastUser(req);
          if (Number(doc.slice(-1)) % 2 === 0) await new Promise((r) => setTimeout(r, 20));
          return validReply(`summary of ${doc}`);
        },
      },
    });
    const record = await runWorkflow({
      store: tempStore(),
      workflow: batchWorkflow(summarizer(sim.url), 2),
      modulePath,
      input: { docs },
      pool: new HostPool(8),
    });
    expect(record.status).toBe('done');
    const output = record.output as { results: { summary: string }[] };
    expect(output.results.map((r) => r.summary)).toEqual(docs.map((d) => `summary of ${d}`));
    const stats = sim.stats();
    expect(stats.completed).toBe(6);
    expect(stats.maxConcurrent).toBeLessThanOrEqual(2);
    expect(stats.maxConcurrent).toBe(2);
    const fan = contextOf<BatchContext>(record).fanouts.summaries;
    expect(fan).toMatchObject({ total: 6, started: 6, finished: 6, errors: [null, null, null, null, null, null] });
    // Each child's call is journaled under its own actor path.
    expect(new Set(record.journal.map((entry) => entry.key)).size).toBe(6);
    expect(record.journal.every((entry) => /^root\/summaries\.\d\//.test(entry.key))).toBe(true);
  });

  it('resumes a fan-out stopped half-way without paying again for journaled items', async () => {
    const stop = new AbortController();
    const requests = new Map<string, number>();
    let beforeStop = new Map<string, number>();
    const sim = await simulator({
      numParallel: 2,
      latency: { ttftMs: 30 },
      script: {
        '*': (req) => {
          const doc = lastUser(req);
          requests.set(doc, (requests.get(doc) ?? 0) + 1);
          if (doc === 'doc-3' && !stop.signal.aborted) {
            // Item 3 starts only once two items have finished: stop with the others done or in flight.
            beforeStop = new Map(requests);
            stop.abort();
          }
          return validReply(`summary of ${doc}`);
        },
      },
    });
    const store = tempStore();
    const workflow = batchWorkflow(summarizer(sim.url), 2);
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { docs }, pool: null, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    const journaled = stopped.journal.map((entry) => (JSON.parse(entry.result.content) as { answer: string }).answer.replace('summary of ', ''));
    expect(journaled.length).toBeGreaterThanOrEqual(2);
    expect(journaled).not.toContain('doc-3');

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow, pool: null });
    expect(resumed.status).toBe('done');
    const output = resumed.output as { results: { summary: string }[] };
    expect(output.results.map((r) => r.summary)).toEqual(docs.map((d) => `summary of ${d}`));
    // A journaled item was asked once; one cut off by the stop was asked once more; the rest once, after resume.
    for (const doc of docs) expect(requests.get(doc)).toBe(journaled.includes(doc) ? 1 : (beforeStop.get(doc) ?? 0) + 1);
    expect(resumed.journal).toHaveLength(6);
    expect(new Set(resumed.journal.map((entry) => entry.key)).size).toBe(6);
  });

  it('goes straight on when the list is empty', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const record = await runWorkflow({ store: tempStore(), workflow: batchWorkflow(summarizer(sim.url), 2), modulePath, input: { docs: [] }, pool: null });
    expect(record.status).toBe('done');
    expect(record.output).toEqual({ results: [], errors: [] });
    expect(sim.stats().requests).toBe(0);
  });

  it('records a failed child by index and still joins', async () => {
    const flaky = fromPromise<string, { doc: string; index: number }>(async ({ input }) => {
      if (input.index === 1) throw new Error(`cannot read ${input.doc}`);
      return `read ${input.doc}`;
    });
    const record = await runWorkflow({
      store: tempStore(),
      workflow: batchWorkflow(flaky, 2),
      modulePath,
      input: { docs: ['a', 'b', 'c'] },
      pool: null,
    });
    expect(record.status).toBe('done');
    expect(record.output).toEqual({ results: ['read a', null, 'read c'], errors: [null, 'cannot read b', null] });
  });

  it('refuses a concurrency below 1 when the workflow is built', () => {
    const build = (concurrency: number) => () =>
      fanOut<BatchContext, string>({ id: 'x', src: 'child', items: () => [], concurrency });
    expect(build(0)).toThrow(TypeError);
    expect(build(0)).toThrow(/concurrency must be at least 1/);
    expect(build(-1)).toThrow(TypeError);
    expect(build(Number.NaN)).toThrow(TypeError);
    expect(build(1)).not.toThrow();
  });
});
