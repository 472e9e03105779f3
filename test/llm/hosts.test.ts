import { describe, it, expect } from 'vitest';
import { callModel, callWithHosts, ConfigError, HostSet, isRetryable, parseHostList } from '../../src/llm/index.ts';
import type { ChatMessage } from '../../src/llm/index.ts';
import { HostPool } from '../../src/llm/pool.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const ask = (n = 0): ChatMessage[] => [{ role: 'user', content: `Say hello #${n}.` }];
const served = (sim: Simulator): number => sim.log().length;

/** A clock the test moves by hand, so breakers are checked without waiting. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('parseHostList / HostSet.fromEnv', () => {
  it('reads comma- or space-separated hosts with optional *slots', () => {
    expect(parseHostList('a:11434, b:1*4\n:5,http://u:pw@c:7*2')).toEqual([
      { host: 'http://a:11434', slots: 1 },
      { host: 'http://b:1', slots: 4 },
      { host: 'http://127.0.0.1:5', slots: 1 },
      { host: 'http://u:pw@c:7', slots: 2 },
    ]);
  });

  it.each(['a:1*0', 'a:1*x', 'a:1*', 'ftp://a'])('rejects %j', (list) => {
    expect(() => parseHostList(list)).toThrow(ConfigError);
  });

  it('never shows a password: not in errors, not in status', () => {
    expect(() => parseHostList('http://u:s3cret@a:1*0')).toThrow(/^(?!.*s3cret)/);
    const set = HostSet.fromEnv({ OLLAMA_HOSTS: 'http://u:s3cret@a:1*2,b:2' });
    expect(JSON.stringify(set.status())).not.toContain('s3cret');
    expect(set.status().map((s) => [s.host, s.slots])).toEqual([['http://a:1', 2], ['http://b:2', 1]]);
  });

  it('falls back to OLLAMA_HOST, and refuses an empty or doubled list', () => {
    expect(HostSet.fromEnv({ OLLAMA_HOST: 'x:9' }).status().map((s) => s.host)).toEqual(['http://x:9']);
    expect(() => new HostSet([])).toThrow(ConfigError);
    expect(() => new HostSet(['a:1', 'http://a:1'])).toThrow(/listed twice/);
  });
});

describe('HostSet routing', () => {
  it('sends each model only to hosts that have it, and says which host served', async () => {
    const a = await simulator({ models: ['llama3.2:3b'] });
    const b = await simulator({ models: ['qwen2.5-coder:7b'] });
    const set = new HostSet([a.url, b.url]);
    const llama = await callWithHosts(ask(), { model: 'llama3.2:3b' }, set);
    const qwen = await callWithHosts(ask(), { model: 'qwen2.5-coder:7b' }, set);
    expect([llama.success, llama.metadata.host]).toEqual([true, a.url]);
    expect([qwen.success, qwen.metadata.host]).toEqual([true, b.url]);
    expect([served(a), served(b)]).toEqual([1, 1]);

    const missing = await set.call(ask(), { model: 'mistral:7b' });
    expect(missing.metadata.error?.kind).toBe('model-not-found');
    expect(missing.metadata.error?.message).toContain(a.url);
    expect([served(a), served(b)]).toEqual([1, 1]);
    expect(set.status().map((s) => s.models)).toEqual([['llama3.2:3b'], ['qwen2.5-coder:7b']]);
  });

  it('prefers a host where the model is already loaded', async () => {
    const a = await simulator();
    const b = await simulator();
    await callModel(ask(), { host: b.url }); // loads the default model on b only
    const set = new HostSet([a.url, b.url]);
    const r = await set.call(ask(1), {});
    expect(r.metadata.host).toBe(b.url);
    expect(set.status()[1]?.loaded).toContain('qwen2.5-coder:7b');
  });

  it('balances concurrent calls between two equal hosts, per slot', async () => {
    const a = await simulator({ numParallel: 2 });
    const b = await simulator({ numParallel: 2 });
    const c = await simulator({ numParallel: 2 });
    const even = new HostSet([a.url, b.url]);
    await Promise.all(Array.from({ length: 8 }, (_, i) => even.call(ask(i), {}, { runKey: `run-${i}` })));
    expect([served(a), served(b)]).toEqual([4, 4]);

    a.reset();
    const weighted = new HostSet([{ host: a.url, slots: 2 }, { host: c.url, slots: 1 }]);
    await Promise.all(Array.from({ length: 6 }, (_, i) => weighted.call(ask(i), {})));
    expect([served(a), served(c)]).toEqual([4, 2]);
  });

  it('keeps a run on one host per model while it is healthy', async () => {
    const a = await simulator();
    const b = await simulator();
    const set = new HostSet([a.url, b.url]);
    const [first1, first2] = await Promise.all([set.call(ask(1), {}, { runKey: 'r1' }), set.call(ask(2), {}, { runKey: 'r2' })]);
    expect(first1?.metadata.host).not.toBe(first2?.metadata.host);
    for (let i = 0; i < 3; i++) {
      expect((await set.call(ask(10 + i), {}, { runKey: 'r1' })).metadata.host).toBe(first1?.metadata.host);
      expect((await set.call(ask(20 + i), {}, { runKey: 'r2' })).metadata.host).toBe(first2?.metadata.host);
    }
    expect([served(a), served(b)]).toEqual([4, 4]);
  });
});

describe('HostSet with a per-host limiter', () => {
  it('holds a HostPool slot on the chosen host for each attempt', async () => {
    const a = await simulator({ numParallel: 4, replyTokens: 5, latency: { perTokenMs: 2 } });
    const set = new HostSet([a.url]);
    const pool = new HostPool(1);
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => set.call(ask(i), {}, { pool })));
    expect(results.every((r) => r.success)).toBe(true);
    expect(a.stats().maxConcurrent).toBe(1);
    expect(set.status()[0]?.inFlight).toBe(0);
  });
});

describe('HostSet failover', () => {
  it('moves a run off a host whose port is closed: one refused call, one refused listing, then its breaker is open', async () => {
    const clock = manualClock();
    const a = await simulator();
    const b = await simulator();
    const set = new HostSet([a.url, b.url], { now: clock.now });
    const first = await set.call(ask(1), {}, { runKey: 'r' });
    expect(first.metadata.host).toBe(a.url);
    await a.close();
    const second = await set.call(ask(2), {}, { runKey: 'r' });
    expect(second.success).toBe(true);
    expect(second.metadata.host).toBe(b.url);
    expect(second.metadata.failovers).toEqual([expect.objectContaining({ host: a.url, kind: 'connection' })]);
    // The refused call marked a for a new listing; refused too, it says the server is down: the breaker opens.
    const third = await set.call(ask(3), {}, { runKey: 'r' });
    expect([third.success, third.metadata.host, third.metadata.failovers]).toEqual([true, b.url, undefined]);
    const [down, up] = set.status();
    expect(down).toMatchObject({ healthy: false, inFlight: 0, breaker: { state: 'open', openUntil: clock.now() + 15_000 } });
    expect(down?.breaker.openedBecause).toMatch(/^cannot list models on .*connection refused/);
    expect(down?.lastError).toMatch(/connection refused/);
    expect(up).toMatchObject({ healthy: true, inFlight: 0, breaker: { state: 'closed', calls: 2, failures: 0 } });
    // The run now stays on b, and calls go straight there.
    const fourth = await set.call(ask(4), {}, { runKey: 'r' });
    expect([fourth.metadata.host, fourth.metadata.failovers]).toEqual([b.url, undefined]);
  });

  it('fails over a call whose host dies while it streams', async () => {
    const a = await simulator({ replyTokens: 200, latency: { perTokenMs: 5 } });
    const b = await simulator({ script: { '*': () => 'from b' } });
    const set = new HostSet([a.url, b.url]);
    let closing: Promise<void> | undefined;
    const r = await set.call(ask(), {}, { onToken: () => { closing ??= a.close(); } });
    await closing;
    expect(r.success).toBe(true);
    expect(r.content).toBe('from b');
    expect(r.metadata.host).toBe(b.url);
    expect(r.metadata.failovers?.[0]).toMatchObject({ host: a.url, kind: 'connection' });
  });

  it('fails over on a timeout before any headers, but not on a bad request', async () => {
    const a = await simulator({ faults: { hang: 1 } });
    const b = await simulator();
    const set = new HostSet([a.url, b.url]);
    const r = await set.call(ask(), { timeoutMs: 300 });
    expect(r.success).toBe(true);
    expect(r.metadata.host).toBe(b.url);
    expect(r.metadata.failovers).toEqual([{ host: a.url, kind: 'timeout', message: 'timed out after 300 ms' }]);

    const bad = await set.call(ask(), { think: true }); // qwen2.5-coder cannot think: 400 on any host
    expect(bad.metadata.error?.kind).toBe('bad-request');
    expect(bad.metadata.failovers).toBeUndefined();
  });

  it('returns the last infrastructure failure, still retryable, while the hosts are not yet known to be down', async () => {
    const a = await simulator({ faults: { '500': 1 } });
    const b = await simulator({ faults: { '500': 1 } });
    const set = new HostSet([a.url, b.url]);
    const r = await set.call(ask(), {});
    expect(r.success).toBe(false);
    expect(r.metadata.error?.kind).toBe('server');
    expect(isRetryable('server')).toBe(true);
    expect(r.metadata.failovers?.map((f) => f.host)).toEqual([a.url, b.url]);
    expect(a.stats().requests + b.stats().requests).toBe(4 + 4 + 2); // two listings each, a window probe (show, ps) each, one chat each
  });

  it('stops at the caller\'s abort instead of trying the next host', async () => {
    const a = await simulator({ faults: { hang: 1 } });
    const b = await simulator();
    const set = new HostSet([a.url, b.url]);
    const controller = new AbortController();
    const pending = set.call(ask(), {}, { signal: controller.signal });
    await eventually(() => a.stats().inFlight === 1);
    controller.abort();
    const r = await pending;
    expect(r.metadata.error?.kind).toBe('aborted');
    expect(r.metadata.host).toBe(a.url);
    expect(b.log()).toHaveLength(0);
  });
});

describe('HostSet circuit breaker', () => {
  const hostFaults = { rate: 0.08, kinds: ['500', '503', 'reset'] } as const;

  it('keeps a host that fails 8 % of its calls in service: each fault costs one failover, never the host', async () => {
    const clock = manualClock();
    const a = await simulator({ seed: 7, faults: { rate: hostFaults.rate, kinds: [...hostFaults.kinds] } });
    const b = await simulator({ seed: 8 });
    const set = new HostSet([a.url, b.url], { now: clock.now });
    const results = [];
    for (let i = 0; i < 200; i++) results.push(await set.call(ask(i), {}, { runKey: 'r' }));

    const faults = Object.values(a.stats().faults).reduce((sum, n) => sum + n, 0);
    expect(faults).toBeGreaterThan(5); // the seed's draws: the test exercises faults of every kind
    expect(Object.keys(a.stats().faults).sort()).toEqual(['500', '503', 'reset']);
    expect(results.every((r) => r.success)).toBe(true);
    // The run's host is a throughout: every call it did not fault was answered there, each fault went to b.
    expect(a.stats().completed).toBe(200 - faults);
    expect(b.stats().completed).toBe(faults);
    expect(results.filter((r) => r.metadata.failovers !== undefined)).toHaveLength(faults);
    expect(results.every((r) => (r.metadata.failovers === undefined) === (r.metadata.host === a.url))).toBe(true);
    const [status] = set.status();
    expect(status).toMatchObject({ healthy: true, breaker: { state: 'closed', calls: 50, openedBecause: null } });
    expect(status?.breaker.failureRate).toBeLessThan(0.5);
  });

  it('opens on a failure rate over its window (not on one fault), takes no calls while open, then closes on a trial call', async () => {
    const clock = manualClock();
    let failing = true;
    const a = await simulator({ script: { '*': () => (failing ? { content: '', fault: '503' } : 'from a') } });
    const b = await simulator({ script: { '*': () => 'from b' } });
    const set = new HostSet([a.url, b.url], { now: clock.now, breaker: { minCalls: 4, failureRate: 0.75, openMs: 10_000 } });

    for (let i = 1; i <= 4; i++) {
      const r = await set.call(ask(i), {}, { runKey: 'r' }); // the run's host is a
      expect([r.success, r.content, r.metadata.host]).toEqual([true, 'from b', b.url]);
      expect(r.metadata.failovers?.[0]).toMatchObject({ host: a.url, kind: 'busy', status: 503 });
      // 503 is an answer from a live server: its listing is read again, and only the rate can open the breaker.
      expect(set.status()[0]?.breaker.state).toBe(i < 4 ? 'closed' : 'open');
    }
    expect(set.status()[0]).toMatchObject({
      healthy: false,
      breaker: { state: 'open', openUntil: clock.now() + 10_000, calls: 4, failures: 4, failureRate: 1, openedBecause: expect.stringMatching(/^4 of the last 4 calls failed/) },
    });

    const requestsToA = a.stats().requests;
    await Promise.all([set.call(ask(5), {}), set.call(ask(6), {})]);
    clock.advance(9_999);
    await set.call(ask(7), {});
    expect(a.stats().requests).toBe(requestsToA); // not even a listing while it is open

    failing = false;
    clock.advance(1);
    expect(set.status()[0]).toMatchObject({ healthy: false, breaker: { state: 'half-open', openUntil: null, trial: false } });
    // b is warm and takes the first call; the second finds b's slot taken and is a's trial call, which closes it.
    const [x, y] = await Promise.all([set.call(ask(8), {}), set.call(ask(9), {})]);
    expect([x?.metadata.host, y?.metadata.host]).toEqual([b.url, a.url]);
    expect(y?.content).toBe('from a');
    // Closed with a fresh window: the failures from before it opened no longer count.
    expect(set.status()[0]).toMatchObject({ healthy: true, breaker: { state: 'closed', calls: 0, failures: 0, failureRate: null } });
  });

  it('re-opens for twice as long when the trial finds the host still down, and closes when it is back', async () => {
    const clock = manualClock();
    const a = await simulator();
    const set = new HostSet([a.url], { now: clock.now, breaker: { openMs: 1_000, maxOpenMs: 3_000 } });
    expect((await set.call(ask(1), {})).metadata.host).toBe(a.url);
    const port = a.port;
    await a.close();
    expect((await set.call(ask(2), {})).metadata.error?.kind).toBe('connection'); // refused: marked for listing
    const open = await set.call(ask(3), {}); // the listing is refused too: open, and no host is left
    expect(open.metadata.error).toMatchObject({ kind: 'connection', message: expect.stringMatching(/^no healthy host has model 'qwen2.5-coder:7b': .* \(breaker open for 1 s more: cannot list models/) });
    expect(isRetryable('connection')).toBe(true); // the step backs off and asks again: an outage, not a model failure
    expect(set.status()[0]?.breaker).toMatchObject({ state: 'open', openUntil: clock.now() + 1_000 });

    clock.advance(1_000); // half-open: the next call is the trial; the host is still down
    expect((await set.call(ask(4), {})).metadata.error?.kind).toBe('connection');
    expect(set.status()[0]?.breaker).toMatchObject({ state: 'open', openUntil: clock.now() + 2_000 });
    clock.advance(2_000);
    await set.call(ask(5), {});
    expect(set.status()[0]?.breaker).toMatchObject({ state: 'open', openUntil: clock.now() + 3_000 }); // capped at maxOpenMs

    const back = await simulator({ port });
    clock.advance(3_000);
    const r = await set.call(ask(6), {});
    expect([r.success, r.metadata.host]).toEqual([true, back.url]);
    expect(set.status()[0]).toMatchObject({ healthy: true, breaker: { state: 'closed' } });
    expect(back.stats().completed).toBe(1);
  });

  it('holds a call while a trial call is in flight, instead of failing it as an outage', async () => {
    const clock = manualClock();
    let failing = true;
    const a = await simulator({ latency: { ttftMs: 50 }, script: { '*': () => (failing ? { content: '', fault: '500' } : 'from a') } });
    const set = new HostSet([a.url], { now: clock.now, breaker: { minCalls: 1, openMs: 1_000 } });
    expect((await set.call(ask(1), {})).metadata.error?.kind).toBe('server');
    expect(set.status()[0]?.breaker.state).toBe('open');
    failing = false;
    clock.advance(1_000);
    // Both find a half-open: the first is its trial call; without the wait, the second would fail at once.
    const results = await Promise.all([set.call(ask(2), {}), set.call(ask(3), {})]);
    expect(results.map((r) => [r.success, r.content, r.metadata.failovers])).toEqual([[true, 'from a', undefined], [true, 'from a', undefined]]);
    expect(a.stats().completed).toBe(2);
  });

  it('frees the trial when its caller gives up before it is sent, so the next call can be the trial', async () => {
    const clock = manualClock();
    let failing = true;
    const a = await simulator({ script: { '*': () => (failing ? { content: '', fault: '500' } : 'from a') } });
    const set = new HostSet([a.url], { now: clock.now, breaker: { minCalls: 1, openMs: 1_000 } });
    const pool = new HostPool(1);
    await set.call(ask(1), {}, { pool });
    failing = false;
    clock.advance(1_000);
    const release = await pool.acquire(a.url); // a's only slot is taken: the trial waits for it
    const controller = new AbortController();
    const gaveUp = set.call(ask(2), {}, { pool, signal: controller.signal });
    await eventually(() => set.status()[0]?.breaker.trial === true);
    controller.abort();
    expect((await gaveUp).metadata.error?.kind).toBe('aborted');
    expect(set.status()[0]?.breaker).toMatchObject({ state: 'half-open', trial: false });
    release();
    const r = await set.call(ask(3), {}, { pool });
    expect([r.success, r.content]).toEqual([true, 'from a']);
    expect(set.status()[0]?.breaker.state).toBe('closed');
  });

  it('takes no verdict from a prompt refused before it was sent (too long for the window): the trial is still to come', async () => {
    const clock = manualClock();
    let failing = true;
    const a = await simulator({ script: { '*': () => (failing ? { content: '', fault: '500' } : 'from a') } });
    const set = new HostSet([a.url], { now: clock.now, breaker: { minCalls: 1, openMs: 1_000 } });
    expect((await set.call(ask(1), {})).metadata.error?.kind).toBe('server');
    failing = false;
    clock.advance(1_000);
    const long: ChatMessage[] = [{ role: 'user', content: 'the ledger of water and weather '.repeat(300) }];
    const refused = await set.call(long, { context: { maxNumCtx: 1024 } });
    expect(refused.metadata.error?.kind).toBe('context');
    expect(set.status()[0]?.breaker).toMatchObject({ state: 'half-open', trial: false });
    const r = await set.call(ask(2), {});
    expect([r.success, r.content]).toEqual([true, 'from a']);
    expect(set.status()[0]?.breaker.state).toBe('closed');
  });

  it('never counts what is not the host\'s fault: a missing model, a bad request, invalid output, an abort', async () => {
    const clock = manualClock();
    const a = await simulator({ models: ['qwen2.5-coder:7b', 'llama3.2:3b'], script: { 'llama3.2:3b': () => 'not json' } });
    // Any host failure at all would open this breaker.
    const set = new HostSet([a.url], { now: clock.now, breaker: { minCalls: 1, failureRate: 0.01 } });
    await set.refresh();
    await fetch(`${a.url}/api/delete`, { method: 'DELETE', body: JSON.stringify({ model: 'qwen2.5-coder:7b' }) });
    const missing = await set.call(ask(1), {}); // listed, then deleted: Ollama answers 404
    expect(missing.metadata.error?.kind).toBe('model-not-found');
    expect((await set.call(ask(2), { model: 'llama3.2:3b', think: true })).metadata.error?.kind).toBe('bad-request');
    expect((await set.call(ask(3), { model: 'llama3.2:3b', json: true })).metadata.error?.kind).toBe('invalid-output');
    const controller = new AbortController();
    controller.abort();
    expect((await set.call(ask(4), { model: 'llama3.2:3b' }, { signal: controller.signal })).metadata.error?.kind).toBe('aborted');
    expect(set.status()[0]).toMatchObject({ healthy: true, lastError: null, breaker: { state: 'closed', failures: 0, openedBecause: null } });

    const crashed = await simulator({ faults: { '500': 1 } });
    const control = new HostSet([crashed.url], { now: clock.now, breaker: { minCalls: 1, failureRate: 0.01 } });
    await control.call(ask(5), {});
    expect(control.status()[0]?.breaker.state).toBe('open'); // the same breaker opens on one host failure
  });
});
