// An outage while judging is an outage, not a score of 0: the judge is routed over the run's hosts, and a judge host
// that is down or busy makes the step back off and, past the run's bound, park — the reply, already paid and
// journaled, is never paid again; only the judge's call is repeated.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostSet } from '../../src/llm/hosts.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { judgeScorer } from '../../src/score/judge.ts';
import { MemoryStore, type RunStore } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { SimRequest, Simulator } from '../../src/testing/index.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing } from '../helpers/postgres.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { contextOf, large, modulePath, oneStepWorkflow, removeTempDirs, small, tempStore, validReply } from '../steps/fixtures.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

const rubric = 'The answer is a number, spelled out.';
const input = { question: 'What is six times seven?' };
const isJudge = (req: SimRequest) => req.messages[0]?.role === 'system' && req.messages[0].content.startsWith('You are a strict, impartial evaluator');
const verdict = JSON.stringify({ score: 9, reasons: ['spelled out'] });

/** The step's model answers; its judge (the larger model) answers 503 while `busy()` says so. */
function script(busy: () => boolean) {
  return { script: { '*': (req: SimRequest) => (!isJudge(req) ? validReply('forty-two') : busy() ? { content: '', fault: '503' as const } : verdict) } };
}

/**
 * One model on the ladder, so a judge scoring 0 would flag the run: an outage must never do that. With `host`, the step
 * and its judge are given it; without, they go where the run's hosts send them.
 */
const judged = (host?: string) =>
  oneStepWorkflow({
    ladder: [small],
    maxRetries: 0,
    scorer: judgeScorer({ model: large, rubric, ...(host ? { host } : {}) }),
    threshold: 0.7,
    backoff: { baseMs: 10, capMs: 20 },
    config: { timeoutMs: 3000, ...(host ? { host } : {}) },
  });

const paid = (sim: Simulator, model: string) => sim.log().filter((request) => request.model === model).length;

const pgMissing = await postgresMissing();
if (pgMissing !== null) console.log(`judge outage on PostgreSQL skipped: no server at ${localPostgresUrl} (${pgMissing})`);
const pgStores: PostgresStore[] = [];
afterAll(async () => {
  await Promise.all(pgStores.splice(0).map(async (store) => {
    await store.end();
    await dropSchema(localPostgresUrl, store.schema);
  }));
});

/** Every store keeps the later of two entries a session writes under one key, and the newer epoch's across sessions. */
const stores: [string, () => RunStore][] = [
  ['files', () => tempStore()],
  ['memory', () => new MemoryStore()],
  ...(pgMissing === null || process.env.CI
    ? [['PostgreSQL', () => {
      const store = new PostgresStore({ url: localPostgresUrl, schema: freshSchema() });
      pgStores.push(store);
      return store;
    }] satisfies [string, () => RunStore]]
    : []),
];

// OLLAMA_HOST is unset, as when only OLLAMA_HOSTS is configured.
const hostBefore = process.env.OLLAMA_HOST;
beforeEach(() => {
  delete process.env.OLLAMA_HOST;
});
afterEach(() => {
  if (hostBefore !== undefined) process.env.OLLAMA_HOST = hostBefore;
});

describe('a judge over OLLAMA_HOSTS', () => {
  it('with two hosts and no OLLAMA_HOST, is routed over them: the reply is accepted, not escalated or flagged', async () => {
    const [a, b] = [await simulator(script(() => false)), await simulator(script(() => false))];
    const hosts = HostSet.fromEnv({ OLLAMA_HOSTS: `${a.url},${b.url}` });
    const record = await runWorkflow({ store: tempStore(), workflow: judged(), modulePath, input, hosts });
    expect(record.status).toBe('done');
    expect(record.flags).toEqual([]);
    expect(contextOf(record).ask?.result?.score).toBeCloseTo(0.9);
    expect(contextOf(record).ask?.attempts.map((at) => [at.model, at.error?.kind ?? 'ok'])).toEqual([[small, 'ok']]);
    const judge = record.journal.find((entry) => entry.step === 'ask (judge)');
    expect([a.url, b.url]).toContain(judge?.result.metadata.host);
    expect(paid(a, large) + paid(b, large)).toBe(1);
    expect(paid(a, small) + paid(b, small)).toBe(1);
  });
});

describe('a judge host that is busy', () => {
  it('makes the step back off and judge again: the run ends done with the judge\'s score, the reply paid once', async () => {
    let judgeRequests = 0;
    const sim = await simulator(script(() => ++judgeRequests <= 3));
    const record = await runWorkflow({ store: tempStore(), workflow: judged(sim.url), modulePath, input, outage: { parkAfterMs: 60_000 } });
    expect(record.status).toBe('done');
    expect(record.flags).toEqual([]);
    const step = contextOf(record).ask;
    expect(step?.result?.score).toBeCloseTo(0.9);
    // One model attempt; the three tries the busy judge cost are kept apart on it, each saying it was the judge's.
    expect(step?.attempts.map((at) => [at.model, at.attempt, at.error?.kind ?? 'ok'])).toEqual([[small, 1, 'ok']]);
    expect(step?.attempts[0]?.outageTries?.map((t) => t.error.kind)).toEqual(['busy', 'busy', 'busy']);
    expect(step?.attempts[0]?.outageTries?.every((t) => t.error.message.startsWith('judging the reply: '))).toBe(true);
    // The reply was paid and journaled once, then replayed for each new judging; the judge was paid once.
    expect(paid(sim, small)).toBe(1);
    expect(paid(sim, large)).toBe(1);
    expect(sim.stats().byModel[large]?.requests).toBe(4);
    expect(record.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['ask', 0.9], ['ask (judge)', null]]);
    expect(record.usage.calls).toBe(2);
  });

  it.each(stores)('parks the run past the bound (never scored 0 or flagged); resumed once the host is back, it ends done, the reply never paid again (%s)', async (_name, makeStore) => {
    let busy = true;
    const sim = await simulator(script(() => busy));
    // The reply is journaled by the first drive, and written again with its score by the second (a newer epoch).
    const store = makeStore();
    const workflow = judged(sim.url);
    const outage = { parkAfterMs: 150, retryParkedMs: 60_000 };
    const parked = await runWorkflow({ store, workflow, modulePath, input, outage });
    expect(parked.status).toBe('parked');
    expect(parked.flags).toEqual([]);
    expect(parked.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['ask', null]]);
    expect(paid(sim, small)).toBe(1);
    expect(paid(sim, large)).toBe(0);

    busy = false;
    const done = await resumeWorkflow({ store, runId: parked.runId, workflow, outage });
    expect(done.status).toBe('done');
    expect(contextOf(done).ask?.result?.score).toBeCloseTo(0.9);
    expect(paid(sim, small)).toBe(1);
    expect(paid(sim, large)).toBe(1);
    expect(done.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['ask', 0.9], ['ask (judge)', null]]);
    expect(done.usage).toMatchObject({ calls: 2 });
  });
});
