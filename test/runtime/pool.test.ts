// The host pool: runs of one process share a per-host limit, whatever the server itself would accept.
import { afterAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { modulePath, oneStepWorkflow, removeTempDirs, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

/** Two runs started together through one pool of `limit` slots, against a server that would accept four calls. */
async function twoConcurrentRuns(limit: number) {
  const sim = await simulator({ numParallel: 4, latency: { ttftMs: 150 }, script: { '*': () => validReply() } });
  const store = tempStore();
  const pool = new HostPool(limit);
  const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
  const runs = await Promise.all(
    ['first', 'second'].map((question) => runWorkflow({ store, workflow, modulePath, input: { question }, limiter: pool })),
  );
  return { sim, runs };
}

describe('host pool across runs', () => {
  it('lets two concurrent runs send one call at a time to a host with a limit of 1', async () => {
    const { sim, runs } = await twoConcurrentRuns(1);
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(sim.stats().completed).toBe(2);
    expect(sim.stats().maxConcurrent).toBe(1);
  });

  it('lets the same two runs overlap when the pool allows it (the limit above is the pool, not the server)', async () => {
    const { sim, runs } = await twoConcurrentRuns(2);
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    expect(sim.stats().maxConcurrent).toBe(2);
  });

  it('serves waiters first come first served, per host, and drops a waiter whose signal fires', async () => {
    const pool = new HostPool(1);
    const order: string[] = [];
    const releaseA = await pool.acquire('a');
    const otherHost = await pool.acquire('b'); // another host has its own slot
    const leaving = new AbortController();
    const first = pool.acquire('a').then((release) => (order.push('first'), release));
    const gone = pool.acquire('a', leaving.signal);
    const second = pool.acquire('a').then((release) => (order.push('second'), release));
    leaving.abort(new Error('left the queue'));
    await expect(gone).rejects.toThrow('left the queue');
    releaseA();
    releaseA(); // releasing twice must not free a second slot
    const releaseFirst = await first;
    expect(order).toEqual(['first']);
    releaseFirst();
    const releaseSecond = await second;
    expect(order).toEqual(['first', 'second']);
    releaseSecond();
    otherHost();
    // Everything released: the next caller gets the slot at once.
    const again = await pool.acquire('a');
    again();
    await expect(pool.acquire('a', AbortSignal.abort(new Error('already gone')))).rejects.toThrow('already gone');
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new HostPool(0)).toThrow(RangeError);
    expect(() => new HostPool(1.5)).toThrow(RangeError);
    expect(new HostPool(3).concurrency).toBe(3);
  });
});
