// Bounded fan-out: at most `concurrency` workers at once, results kept in item order, flags named by item, empty
// lists, failed workers and bad limits, all as a plain actor; journal keys and resume through the runtime.
import { assign, createActor, fromPromise, setup, toPromise, type AnyActorLogic, type InspectionEvent } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, fanOut, type FanOutOutput } from '../../src/steps/index.ts';
import { actorPath, isCallEntry } from '../../src/steps/services.ts';
import { askAgent, askStep, invalidReply, lastUser, modulePath, removeTempDirs, small, tempStore, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

/** The worker run once per item: a sub-agent whose one model step answers for its document. */
const summarizer = (host: string) =>
  askAgent({ id: 'summarize', ladder: [small], maxRetries: 0, config: { host, timeoutMs: 3000 } });

const docs = ['doc-0', 'doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5'];
const items = (list: string[]) => list.map((question) => ({ question }));

/** A workflow around the fan-out, for what only a run has: journal keys and resume. */
function batchWorkflow(worker: AnyActorLogic, concurrency: number) {
  const machine = setup({
    types: { context: {} as { docs: string[]; fan: FanOutOutput<unknown> | null }, input: {} as { docs: string[] } },
    actors: { summaries: fanOut({ id: 'summaries', worker, concurrency }) },
  }).createMachine({
    id: 'batch',
    context: ({ input }) => ({ docs: input.docs, fan: null }),
    initial: 'fanning',
    states: {
      fanning: {
        invoke: {
          id: 'summaries',
          src: 'summaries',
          input: ({ context }) => ({ items: items(context.docs) }),
          onDone: { target: 'done', actions: assign({ fan: ({ event }) => event.output }) },
          onError: 'done',
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => context.fan,
  });
  return defineWorkflow({ id: 'batch', input: z.object({ docs: z.array(z.string()) }), machine });
}

/** The worker run once per item in the look-ahead tests: a model step (its calls take the fan-out's slots). */
const asker = (host: string) => askStep({ ladder: [small], maxRetries: 0, config: { host, timeoutMs: 3000 } });

/** Counts a fan-out's items under way at once, from inspection events: started, and their end not yet sent to it. */
function itemsUnderWay(fanOut: string) {
  const item = new RegExp(`^${fanOut}\\.\\d+$`);
  const ended = new RegExp(`^xstate\\.(done|error)\\.actor\\.(${fanOut}\\.\\d+)$`);
  const underWay = new Set<string>();
  let most = 0;
  const inspect = (event: InspectionEvent) => {
    const id = actorPath(event.actorRef).split('/').at(-1) ?? '';
    if (event.type === '@xstate.actor' && item.test(id)) underWay.add(id);
    const end = event.type === '@xstate.event' ? ended.exec(event.event.type) : null;
    if (end?.[2] !== undefined) underWay.delete(end[2]);
    most = Math.max(most, underWay.size);
  };
  return { inspect, most: () => most };
}

/** A simulator that counts the requests for each document and fires `stop` when doc-3 is asked for. */
async function stoppingAtDoc3(numParallel: number) {
  const stop = new AbortController();
  const requests = new Map<string, number>();
  const sim = await simulator({
    numParallel,
    latency: { ttftMs: 30 },
    script: {
      '*': (req) => {
        const doc = lastUser(req);
        requests.set(doc, (requests.get(doc) ?? 0) + 1);
        if (doc === 'doc-3') stop.abort();
        return validReply(`summary of ${doc}`);
      },
    },
  });
  return { sim, stop, requests };
}

const answers = (output: { results: ({ answer: { answer: string } | null } | null)[] }) => output.results.map((r) => r?.answer?.answer ?? null);

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
    const fan = fanOut({ id: 'summaries', worker: summarizer(sim.url), concurrency: 2 });
    const output = await toPromise(createActor(fan, { input: { items: items(docs) } }).start());
    expect(answers(output)).toEqual(docs.map((d) => `summary of ${d}`));
    expect(output.errors).toEqual([null, null, null, null, null, null]);
    expect(output.flags).toEqual([]);
    const stats = sim.stats();
    expect(stats.completed).toBe(6);
    expect(stats.maxConcurrent).toBe(2);
  });

  it("names each flagged item's flags by its index", async () => {
    const sim = await simulator({ script: { '*': (req) => (lastUser(req) === 'doc-1' ? invalidReply : validReply()) } });
    const fan = fanOut({ id: 'summaries', worker: summarizer(sim.url), concurrency: 2 });
    const output = await toPromise(createActor(fan, { input: { items: items(['doc-0', 'doc-1', 'doc-2']) } }).start());
    expect(answers(output)).toEqual(['42', null, '42']);
    expect(output.flags).toEqual([expect.stringMatching(/^summaries\[1\]\/summarize: ladder exhausted after 1 attempt\(s\) \(last: invalid-output: /)]);
  });

  it('journals each item under its own actor path', async () => {
    const sim = await simulator({ script: { '*': (req) => validReply(`summary of ${lastUser(req)}`) } });
    const record = await runWorkflow({ store: tempStore(), workflow: batchWorkflow(summarizer(sim.url), 2), modulePath, input: { docs } });
    expect(record.status).toBe('done');
    const calls = record.journal.filter(isCallEntry);
    expect(new Set(calls.map((entry) => entry.key)).size).toBe(6);
    expect(calls.every((entry) => /^root\/summaries\/summaries\.\d\//.test(entry.key))).toBe(true);
    // Each item's output is kept in the journal too, under the fan-out's own path, and counts as no call.
    const kept = record.journal.filter((entry) => !isCallEntry(entry));
    expect(kept.map((entry) => entry.step).sort()).toEqual(docs.map((_, i) => `summaries.${i}`));
    expect(kept.every((entry) => /^root\/summaries:[0-9a-f]{8}\.item\.\d$/.test(entry.key))).toBe(true);
    expect(record.usage.calls).toBe(6);
  });

  it('resumes a fan-out stopped half-way without paying again for journaled items', async () => {
    // Item 3 starts only once two items have finished: stop with the others done or in flight.
    const { sim, stop, requests } = await stoppingAtDoc3(2);
    const store = tempStore();
    const workflow = batchWorkflow(summarizer(sim.url), 2);
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { docs }, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    // A stop lets the calls in flight finish and be journaled, and starts no new one.
    const journaled = stopped.journal.filter(isCallEntry).map((entry) => z.object({ answer: z.string() }).parse(JSON.parse(entry.result.content)).answer.replace('summary of ', ''));
    expect(journaled).toContain('doc-3');
    expect(journaled.length).toBeLessThan(docs.length);

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    const output = z.object({ results: z.array(z.object({ answer: z.object({ answer: z.string() }).nullable() }).nullable()) }).parse(resumed.output);
    expect(answers(output)).toEqual(docs.map((d) => `summary of ${d}`));
    // Every item was asked once: the journaled ones before the stop, the rest after the resume.
    expect(docs.map((doc) => requests.get(doc))).toEqual(docs.map(() => 1));
    const calls = resumed.journal.filter(isCallEntry);
    expect(calls).toHaveLength(6);
    expect(new Set(calls.map((entry) => entry.key)).size).toBe(6);
  });

  it("keeps the checkpoint the size of a one-item fan-out's however many items finished, and reads outputs back at the join", async () => {
    const sim = await simulator({ numParallel: 4, script: { '*': (req) => validReply(`summary of ${lastUser(req)} `.repeat(20)) } });
    const many = Array.from({ length: 24 }, (_, i) => `doc-${i}`);
    const sizes: number[] = [];
    const record = await runWorkflow({
      store: tempStore(),
      workflow: batchWorkflow(summarizer(sim.url), 4),
      modulePath,
      input: { docs: many },
      onCheckpoint: (written) => {
        if (written.status === 'running' && written.journal.some(isCallEntry)) sizes.push(JSON.stringify(written.snapshot).length);
      },
    });
    expect(record.status).toBe('done');
    const first = sizes[0] ?? 0;
    expect(first).toBeGreaterThan(0);
    // Before, each finished item's output stayed in the checkpoint (in context and in its ended actor): ×20 at 24 items.
    expect(Math.max(...sizes) / first).toBeLessThan(1.5);
    const output = z.object({ results: z.array(z.object({ answer: z.object({ answer: z.string() }).nullable() }).nullable()) }).parse(record.output);
    expect(answers(output)).toEqual(many.map((d) => `summary of ${d} `.repeat(20)));
  });

  it('starts one model-step item ahead in a run, its call waiting for a slot: never more calls in flight than its concurrency', async () => {
    const sim = await simulator({ numParallel: 4, latency: { ttftMs: 20 }, script: { '*': (req) => validReply(`summary of ${lastUser(req)}`) } });
    const alive = itemsUnderWay('summaries');
    const many = Array.from({ length: 7 }, (_, i) => `doc-${i}`);
    const record = await runWorkflow({ store: tempStore(), workflow: batchWorkflow(asker(sim.url), 2), modulePath, input: { docs: many }, inspect: alive.inspect });
    expect(record.status).toBe('done');
    const output = z.object({ results: z.array(z.object({ data: z.object({ answer: z.string() }).nullable() }).nullable()) }).parse(record.output);
    expect(output.results.map((r) => r?.data?.answer ?? null)).toEqual(many.map((d) => `summary of ${d}`));
    expect(record.usage.calls).toBe(7);
    // Three step machines at once (two calling, one waiting for the first slot given back), two calls at the server.
    expect(alive.most()).toBe(3);
    expect(sim.stats().maxConcurrent).toBe(2);
  });

  it('starts no item ahead outside a run, where no call slots are lent', async () => {
    const sim = await simulator({ numParallel: 4, latency: { ttftMs: 20 }, script: { '*': () => validReply() } });
    const alive = itemsUnderWay('summaries');
    const fan = fanOut({ id: 'summaries', worker: asker(sim.url), concurrency: 2 });
    const output = await toPromise(createActor(fan, { input: { items: items(docs) }, inspect: alive.inspect }).start());
    expect(output.errors).toEqual(docs.map(() => null));
    expect(alive.most()).toBe(2);
    expect(sim.stats().maxConcurrent).toBe(2);
  });

  it('resumes a fan-out of model steps stopped with an item waiting for a slot: each item asked once, the limit kept after the restore', async () => {
    // doc-3 is sent once two calls have ended: the stop comes with doc-4 started ahead, its call waiting.
    const { sim, stop, requests } = await stoppingAtDoc3(4);
    const store = tempStore();
    const workflow = batchWorkflow(asker(sim.url), 2);
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { docs }, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    expect(stopped.journal.filter(isCallEntry).length).toBeLessThan(docs.length);

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    const output = z.object({ results: z.array(z.object({ data: z.object({ answer: z.string() }).nullable() }).nullable()) }).parse(resumed.output);
    expect(output.results.map((r) => r?.data?.answer ?? null)).toEqual(docs.map((d) => `summary of ${d}`));
    expect(docs.map((doc) => requests.get(doc))).toEqual(docs.map(() => 1));
    expect(resumed.journal.filter(isCallEntry)).toHaveLength(6);
    // The restored items (the one started ahead among them) take the restored fan-out's slots, made anew from its context.
    expect(sim.stats().maxConcurrent).toBe(2);
  });

  it('tells its own output writes from its items whatever its id, even `kept`', async () => {
    const worker = fromPromise<string, { doc: string }>(async ({ input }) => `read ${input.doc}`);
    const machine = setup({ actors: { kept: fanOut({ id: 'kept', worker, concurrency: 2 }) } }).createMachine({
      initial: 'fanning',
      context: { results: [] as unknown[] },
      states: {
        fanning: { invoke: { id: 'kept', src: 'kept', input: { items: [{ doc: 'a' }, { doc: 'b' }, { doc: 'c' }] }, onDone: { target: 'done', actions: assign({ results: ({ event }) => event.output.results }) } } },
        done: { type: 'final' },
      },
      output: ({ context }) => context.results,
    });
    const workflow = defineWorkflow({ id: 'kept-ids', input: z.object({}), machine });
    const record = await runWorkflow({ store: tempStore(), workflow, modulePath, input: {} });
    expect(record.status).toBe('done');
    expect(record.output).toEqual(['read a', 'read b', 'read c']);
    expect(record.journal.filter((entry) => !isCallEntry(entry))).toHaveLength(3);
  });

  it('goes straight on when the list is empty', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const fan = fanOut({ id: 'summaries', worker: summarizer(sim.url), concurrency: 2 });
    const output = await toPromise(createActor(fan, { input: { items: [] } }).start());
    expect(output).toEqual({ results: [], errors: [], flags: [] });
    expect(sim.stats().requests).toBe(0);
  });

  it('records a failed worker by index and still joins', async () => {
    const flaky = fromPromise<string, { doc: string }>(async ({ input }) => {
      if (input.doc === 'b') throw new Error(`cannot read ${input.doc}`);
      return `read ${input.doc}`;
    });
    const fan = fanOut({ id: 'reads', worker: flaky, concurrency: 2 });
    const output = await toPromise(createActor(fan, { input: { items: [{ doc: 'a' }, { doc: 'b' }, { doc: 'c' }] } }).start());
    expect(output).toEqual({ results: ['read a', null, 'read c'], errors: [null, 'cannot read b', null], flags: [] });
  });

  it('refuses a concurrency below 1 when the workflow is built', () => {
    const worker = fromPromise<string, string>(async ({ input }) => input);
    const build = (concurrency: number) => () => fanOut({ id: 'x', worker, concurrency });
    expect(build(0)).toThrow(TypeError);
    expect(build(0)).toThrow(/concurrency must be at least 1/);
    expect(build(-1)).toThrow(TypeError);
    expect(build(Number.NaN)).toThrow(TypeError);
    expect(build(1)).not.toThrow();
  });
});
