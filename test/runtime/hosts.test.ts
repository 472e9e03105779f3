// Runs over several Ollama hosts (real HTTP simulators): routing by model, failover mid-run, a breaker that opens and closes, no credentials stored.
import dc from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { HostSet } from '../../src/llm/hosts.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, fanOut, flagsFrom, stepGuards, type AttemptRecord } from '../../src/steps/index.ts';
import { isCallEntry } from '../../src/steps/services.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import type { Simulator, SimRequest } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { askAgent, askStep, contextOf, invalidReply, large, lastUser, modulePath, oneStepWorkflow, removeTempDirs, small, tempDir, tempStore, validReply } from '../steps/fixtures.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

/** The answer echoes the question, so a run's output is the same whichever host answered. */
const echo = (req: SimRequest): string => validReply(lastUser(req));

interface ChainContext {
  question: string;
  answers: string[];
  /** The attempt records of each step, in order. */
  attempts: AttemptRecord[][];
  flags: string[];
}

/** Three schema-checked steps in a row (`<question> #1` … `#3`), each a fresh step machine with the fixtures' ladder. */
function chainWorkflow() {
  const machine = setup({
    types: { context: {} as ChainContext, input: {} as { question: string }, output: {} as { answers: string[]; flags: string[] } },
    actors: { ask: askStep() },
    guards: { ...stepGuards, more: ({ context }) => context.answers.length < 3 },
  }).createMachine({
    id: 'chain',
    context: ({ input }) => ({ question: input.question, answers: [], attempts: [], flags: [] }),
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          src: 'ask',
          input: ({ context }) => ({ question: `${context.question} #${context.answers.length + 1}` }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            {
              target: 'next',
              actions: assign({
                answers: ({ context, event }) => [...context.answers, event.output.data?.answer ?? ''],
                attempts: ({ context, event }) => [...context.attempts, event.output.attempts],
              }),
            },
          ],
        },
      },
      next: { always: [{ guard: 'more', target: 'asking' }, { target: 'done' }] },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ answers: context.answers, flags: context.flags }),
  });
  return defineWorkflow({ id: 'chain', input: z.object({ question: z.string().min(1) }), machine });
}

const hostsOf = (record: RunRecord): string[] => record.journal.filter(isCallEntry).map((entry) => entry.result.metadata.host);
const modelOf = (sim: Simulator, model: string): number => sim.stats().byModel[model]?.requests ?? 0;

/** Every file under `dir`, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}

describe('runs over several hosts: routing by model', () => {
  it('sends a model only one host has to that host, every time; the journal names the host of each call', async () => {
    // small (rejected by the schema, so the step escalates) is on a and b; large only on c.
    const a = await simulator({ models: [small], script: { '*': () => invalidReply } });
    const b = await simulator({ models: [small], script: { '*': () => invalidReply } });
    const c = await simulator({ models: [large], script: { '*': echo } });
    const hosts = new HostSet([a.url, b.url, c.url]);
    const store = tempStore();
    const workflow = oneStepWorkflow();
    const runs = await Promise.all(['one', 'two', 'three'].map((question) => runWorkflow({ store, workflow, modulePath, input: { question }, hosts })));

    expect(runs.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(runs.map((r) => contextOf(r).answer?.answer)).toEqual(['one', 'two', 'three']);
    for (const run of runs) {
      // Two attempts on small (first rung, one retry), then large: the journal says where each went.
      expect(run.journal.map((e) => e.result.model)).toEqual([small, small, large]);
      const [first, second, third] = hostsOf(run);
      expect([a.url, b.url]).toContain(first);
      expect([a.url, b.url]).toContain(second);
      expect(third).toBe(c.url);
    }
    expect(modelOf(c, large)).toBe(3);
    expect([modelOf(a, large), modelOf(b, large), modelOf(c, small)]).toEqual([0, 0, 0]);
    expect(modelOf(a, small) + modelOf(b, small)).toBe(6);
  });
});

/** One run that asks about every item, `concurrency` at a time, each with a one-step sub-agent. */
function fanOutWorkflow(concurrency: number) {
  const worker = askAgent({ id: 'summarize', ladder: [small], maxRetries: 0 });
  const machine = setup({
    types: { context: {} as { docs: string[] }, input: {} as { docs: string[] } },
    actors: { summaries: fanOut({ id: 'summaries', worker, concurrency }) },
  }).createMachine({
    id: 'batch',
    context: ({ input }) => ({ docs: input.docs }),
    initial: 'fanning',
    states: {
      fanning: { invoke: { src: 'summaries', input: ({ context }) => ({ items: context.docs.map((question) => ({ question })) }), onDone: 'done' } },
      done: { type: 'final' },
    },
  });
  return defineWorkflow({ id: 'batch', input: z.object({ docs: z.array(z.string()) }), machine });
}

describe('runs over several hosts: one run with calls in parallel', () => {
  it('spreads a fan-out over equal hosts: a call that finds the run\'s host full goes to a less loaded one', async () => {
    const a = await simulator({ latency: { ttftMs: 50 }, script: { '*': echo } });
    const b = await simulator({ latency: { ttftMs: 50 }, script: { '*': echo } });
    const hosts = new HostSet([a.url, b.url]);
    const docs = Array.from({ length: 8 }, (_, i) => `doc-${i}`);
    const run = await runWorkflow({ store: tempStore(), workflow: fanOutWorkflow(4), modulePath, input: { docs }, hosts });
    expect(run.status).toBe('done');
    expect(run.journal.filter(isCallEntry)).toHaveLength(8);
    const served = hostsOf(run);
    expect(served.filter((host) => host === a.url).length).toBeGreaterThan(0);
    expect(served.filter((host) => host === b.url).length).toBeGreaterThan(0);
    expect(a.stats().completed + b.stats().completed).toBe(8);
  });
});

describe('runs over several hosts: a host dies mid-run', () => {
  it('fails over without spending a retry or an escalation; the output is that of an uninterrupted run', async () => {
    // The first time a `#2` call arrives while armed, its host holds it until the test kills that host.
    let armed = false;
    let stuck: (sim: Simulator) => void = () => {};
    const killing = new Promise<Simulator>((resolve) => (stuck = resolve));
    const sims: Simulator[] = [];
    const hostSim = async (): Promise<Simulator> => {
      const index = sims.length;
      const sim = await simulator({
        script: {
          '*': (req) => {
            if (!armed || !lastUser(req).endsWith('#2')) return echo(req);
            armed = false;
            const self = sims[index];
            if (self) stuck(self);
            return new Promise<never>(() => {}); // answered never: the host dies first
          },
        },
      });
      sims.push(sim);
      return sim;
    };
    const [a, b] = [await hostSim(), await hostSim()];
    const hosts = new HostSet([a.url, b.url]);
    const store = tempStore();
    const workflow = chainWorkflow();
    const input = { question: 'why' };

    const calm = await runWorkflow({ store, workflow, modulePath, input, hosts });
    expect(calm.status).toBe('done');

    armed = true;
    const running = runWorkflow({ store, workflow, modulePath, input, hosts });
    const dead = await killing;
    await dead.close();
    const run = await running;
    const alive = dead === a ? b : a;

    expect(run.status).toBe('done');
    expect(run.output).toEqual(calm.output);
    expect(run.output).toEqual({ answers: ['why #1', 'why #2', 'why #3'], flags: [] });
    // One attempt per step, on the first rung, none failed: the dead host cost no retry and no escalation.
    const { attempts } = contextOf<ChainContext>(run);
    expect(attempts.map((step) => step.map((t) => [t.model, t.attempt, t.success, t.error?.kind]))).toEqual([
      [[small, 1, true, undefined]],
      [[small, 1, true, undefined]],
      [[small, 1, true, undefined]],
    ]);
    expect(run.journal.map((e) => e.result.retries)).toEqual([0, 0, 0]);
    // The step before the death went to the host that then died; the journal names the host that answered after.
    expect(hostsOf(run)).toEqual([dead.url, alive.url, alive.url]);
    expect(run.journal[1]?.result.metadata).toMatchObject({ host: alive.url, failovers: [{ host: dead.url, kind: 'connection' }] });
    expect(hosts.status().map((s) => [s.host, s.healthy, s.inFlight])).toEqual([
      [a.url, a !== dead, 0],
      [b.url, b !== dead, 0],
    ]);
  });
});

describe('runs over several hosts: a breaker that opens and closes', () => {
  it('leaves a dead host alone, and sends it calls again once it is back and a trial call closed its breaker', async () => {
    let t = 1_000_000;
    const a = await simulator({ script: { '*': echo } });
    const b = await simulator({ latency: { ttftMs: 100 }, script: { '*': echo } });
    const hosts = new HostSet([a.url, b.url], { now: () => t, breaker: { openMs: 300 } });
    const store = tempStore();
    const workflow = oneStepWorkflow();
    const run = (question: string) => runWorkflow({ store, workflow, modulePath, input: { question }, hosts });

    expect(hostsOf(await run('first'))).toEqual([a.url]); // equal hosts: the first of the list
    await a.close();
    const during = await run('second');
    expect(during.status).toBe('done');
    expect(hostsOf(during)).toEqual([b.url]);
    expect(during.journal[0]?.result.metadata).toMatchObject({ failovers: [{ host: a.url, kind: 'connection' }] });
    // Refused, or the kept-alive socket to `a` found closed when the run's call came before its close was read.
    expect(hosts.status()[0]?.lastError).toMatch(/connection refused|cannot connect|closed by the server/);
    // The next run finds a's listing refused too: its breaker opens, and the run goes to b without trying a.
    const known = await run('third');
    expect(hostsOf(known)).toEqual([b.url]);
    expect(known.journal[0]?.result.metadata).not.toHaveProperty('failovers');
    expect(hosts.status()[0]).toMatchObject({ healthy: false, breaker: { state: 'open', openUntil: t + 300 } });

    const back = await simulator({ port: a.port, script: { '*': echo } });
    expect(back.url).toBe(a.url);
    t += 300;
    expect(hosts.status()[0]?.breaker.state).toBe('half-open');
    // Four runs at once: more calls than b has slots, so the host that is back takes some of them.
    const after = await Promise.all(['3', '4', '5', '6'].map(run));
    expect(after.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    const served = after.flatMap(hostsOf);
    expect(served.filter((host) => host === a.url).length).toBeGreaterThan(0);
    expect(back.stats().completed).toBe(served.filter((host) => host === a.url).length);
    expect(after.every((r) => r.journal.every((e) => !('failovers' in e.result.metadata)))).toBe(true);
    expect(hosts.status()[0]).toMatchObject({ host: a.url, healthy: true, breaker: { state: 'closed' }, models: expect.arrayContaining([small]) });
  });
});

describe('runs over several hosts: credentials', () => {
  it('authenticates to every host, and stores the host of each call without the password, failovers included', async () => {
    const dead = await simulator({ script: { '*': echo } });
    const live = await simulator({ script: { '*': echo } });
    const withPassword = (sim: Simulator) => `http://ann:s3cret-pw@127.0.0.1:${sim.port}`;
    const seen: { origin: string; headers: unknown }[] = [];
    const listener = (message: unknown): void => {
      const { request } = message as { request: { origin: string; headers: unknown } };
      seen.push({ origin: request.origin, headers: request.headers });
    };
    dc.subscribe('undici:request:create', listener);
    const dir = tempDir();
    let run: RunRecord;
    const hosts = new HostSet([withPassword(dead), withPassword(live)]);
    try {
      await hosts.refresh(); // both listed: the first call goes to `dead`, which dies just before it
      await dead.close();
      run = await runWorkflow({ store: new FileStore({ dir }), workflow: chainWorkflow(), modulePath, input: { question: 'who' }, hosts });
    } finally {
      dc.unsubscribe('undici:request:create', listener);
    }
    expect(run.status).toBe('done');
    expect(hostsOf(run)).toEqual([live.url, live.url, live.url]);
    expect(run.journal[0]?.result.metadata).toMatchObject({ failovers: [{ host: dead.url, kind: 'connection' }] });
    const basic = `Basic ${Buffer.from('ann:s3cret-pw').toString('base64')}`;
    const toLive = seen.filter((s) => s.origin === live.url);
    expect(toLive.length).toBeGreaterThanOrEqual(5); // /api/tags, /api/ps, three chats
    expect(seen.every((s) => JSON.stringify(s.headers).includes(basic))).toBe(true);

    const stored = filesUnder(dir);
    expect(stored.join('\n')).toContain(live.url);
    expect(stored.join('\n')).toContain(dead.url); // the failover, in the journal
    for (const text of stored) expect(text).not.toMatch(/s3cret|ann:/);
    expect(JSON.stringify(hosts.status())).not.toMatch(/s3cret|ann:/);
    expect(hosts.status()[0]?.lastError).toContain(dead.url);
  });
});
