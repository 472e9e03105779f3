import { describe, it, expect } from 'vitest';
import { callModel, callWithHosts, ConfigError, HostSet, isRetryable, parseHostList } from '../../src/llm/index.ts';
import type { ChatMessage } from '../../src/llm/index.ts';
import { HostPool } from '../../src/llm/pool.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const ask = (n = 0): ChatMessage[] => [{ role: 'user', content: `Say hello #${n}.` }];
const served = (sim: Simulator): number => sim.log().length;

/** A clock the test moves by hand, so cooldowns are checked without waiting. */
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
  it('moves a run to another host when its host is closed mid-run, without a failed result', async () => {
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
    const [down, up] = set.status();
    expect(down).toMatchObject({ healthy: false, cooldownUntil: clock.now() + 30_000, inFlight: 0 });
    expect(down?.lastError).toMatch(/connection|connect/);
    expect(up).toMatchObject({ healthy: true, inFlight: 0 });
    // The run now stays on b.
    expect((await set.call(ask(3), {}, { runKey: 'r' })).metadata.host).toBe(b.url);
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

  it('cools a host down after 503 and 5xx, leaves it alone, then uses it again', async () => {
    const clock = manualClock();
    let failing = true;
    const a = await simulator({ script: { '*': () => (failing ? { content: '', fault: '503' } : 'from a') } });
    const b = await simulator({ script: { '*': () => 'from b' } });
    const set = new HostSet([a.url, b.url], { now: clock.now, cooldownMs: 10_000 });

    const r = await set.call(ask(1), {});
    expect([r.success, r.content, r.metadata.host]).toEqual([true, 'from b', b.url]);
    expect(r.metadata.failovers?.[0]).toMatchObject({ host: a.url, kind: 'busy', status: 503 });
    expect(set.status()[0]).toMatchObject({ healthy: false, cooldownUntil: clock.now() + 10_000 });

    const requestsToA = a.stats().requests;
    await Promise.all([set.call(ask(2), {}), set.call(ask(3), {})]);
    expect(a.stats().requests).toBe(requestsToA); // not even a listing while it cools down

    failing = false;
    clock.advance(10_000);
    expect(set.status()[0]).toMatchObject({ healthy: true, cooldownUntil: null });
    // b is warm and takes the first call; the second finds b's slot taken and goes back to a.
    const [x, y] = await Promise.all([set.call(ask(4), {}), set.call(ask(5), {})]);
    expect([x?.metadata.host, y?.metadata.host]).toEqual([b.url, a.url]);
    expect(y?.content).toBe('from a');
  });

  it('returns the last infrastructure failure, still retryable, when every host is down', async () => {
    const a = await simulator({ faults: { '500': 1 } });
    const b = await simulator({ faults: { '500': 1 } });
    const set = new HostSet([a.url, b.url]);
    const r = await set.call(ask(), {});
    expect(r.success).toBe(false);
    expect(r.metadata.error?.kind).toBe('server');
    expect(isRetryable('server')).toBe(true);
    expect(r.metadata.failovers?.map((f) => f.host)).toEqual([a.url, b.url]);
    expect(a.stats().requests + b.stats().requests).toBe(4 + 4 + 2); // two listings each, a window probe (show, ps) each, one chat each

    const again = await set.call(ask(), {});
    expect(again.metadata.error?.kind).toBe('connection');
    expect(again.metadata.error?.message).toMatch(/no healthy host has model 'qwen2.5-coder:7b'/);
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
