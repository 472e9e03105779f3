import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { z } from 'zod';
import type { SimRequest } from '../../src/testing/index.ts';
import { callModel, ConfigError, isRetryable } from '../../src/llm/index.ts';
import type { ChatMessage } from '../../src/llm/index.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const ask: ChatMessage[] = [{ role: 'user', content: 'Say hello.' }];
const person = z.object({ name: z.string(), age: z.number().int().min(0), tags: z.array(z.string()) });

const simulator = useSimulators();

describe('callModel: successful calls', () => {
  it('streams a text reply and reports the server counts and timings', async () => {
    const sim = await simulator({ script: { '*': () => 'Hello there, friend.' } });
    const pieces: string[] = [];
    const r = await callModel(ask, { host: sim.url }, { onToken: (p) => pieces.push(p) });

    expect(r.success).toBe(true);
    expect(r.content).toBe('Hello there, friend.');
    expect(pieces.join('')).toBe(r.content);
    expect(pieces.length).toBeGreaterThan(1);
    expect(r.model).toBe('qwen2.5-coder:7b');
    expect(r.tokensOut).toBe(sim.stats().byModel['qwen2.5-coder:7b']?.tokensOut);
    expect(r.tokensOut).toBe(sim.log()[0]?.evalCount);
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(r.retries).toBe(0);
    expect(r.score).toBeNull();
    expect(r.data).toBeUndefined();
    expect(r.metadata.host).toBe(sim.url);
    expect(r.metadata.doneReason).toBe('stop');
    expect(r.metadata.error).toBeUndefined();
    for (const key of ['loadMs', 'promptEvalMs', 'evalMs', 'totalMs'] as const) {
      expect(typeof r.metadata[key]).toBe('number');
    }
    expect(r.ttftMs).not.toBeNull();
    expect(r.durationMs).toBeGreaterThanOrEqual(r.ttftMs ?? 0);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('sends stream, format (JSON Schema of the input side), and merged options', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), '{"name":"Ann","age":3,"tags":[]}') } });
    const r = await callModel(ask, { host: sim.url, schema: person, maxTokens: 77, options: { seed: 5, num_ctx: 4096 } });

    expect(r.success).toBe(true);
    expect(r.data).toEqual({ name: 'Ann', age: 3, tags: [] });
    expect(seen[0]?.stream).toBe(true);
    expect(seen[0]?.format).toEqual(z.toJSONSchema(person, { io: 'input' }));
    expect(seen[0]?.options).toEqual({ seed: 5, num_ctx: 4096, num_predict: 77, temperature: 0 });
    expect(seen[0]?.messages).toEqual(ask);
  });

  it('lets options.temperature stand unless temperature is given explicitly', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), 'ok') } });
    await callModel(ask, { host: sim.url, options: { temperature: 0.4 } });
    await callModel(ask, { host: sim.url, temperature: 0.9, options: { temperature: 0.4 } });
    expect(seen.map((s) => s.options?.temperature)).toEqual([0.4, 0.9]);
  });

  it('sends format "json" for json:true and returns the parsed object', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), '{"ok": true}') } });
    const r = await callModel(ask, { host: sim.url, json: true });
    expect(r.success).toBe(true);
    expect(r.data).toEqual({ ok: true });
    expect(seen[0]?.format).toBe('json');
  });

  it('returns data that passes the schema for a synthesized reply', async () => {
    const sim = await simulator({ seed: 11 });
    const r = await callModel(ask, { host: sim.url, schema: person });
    expect(r.success).toBe(true);
    expect(person.safeParse(r.data).success).toBe(true);
  });

  it('treats done_reason "length" without json/schema as success, and says so', async () => {
    const sim = await simulator({ script: { '*': () => ({ content: 'cut off mid', doneReason: 'length' }) } });
    const r = await callModel(ask, { host: sim.url });
    expect(r.success).toBe(true);
    expect(r.metadata.doneReason).toBe('length');
  });

  it('measures ttft on the client (lower bound only) and reports load time from the server', async () => {
    const sim = await simulator({ latency: { loadMs: 60, ttftMs: 120 } });
    const r = await callModel(ask, { host: sim.url });
    expect(r.success).toBe(true);
    expect(r.ttftMs).toBeGreaterThanOrEqual(170);
    expect(r.metadata.loadMs).toBeGreaterThanOrEqual(55);
    expect(r.durationMs).toBeGreaterThanOrEqual(r.ttftMs ?? Infinity);
  });

  it('reads OLLAMA_HOST when no host is configured', async () => {
    const sim = await simulator();
    const saved = process.env.OLLAMA_HOST;
    process.env.OLLAMA_HOST = `:${sim.port}`;
    try {
      const r = await callModel(ask, {});
      expect(r.success).toBe(true);
      expect(r.metadata.host).toBe(`http://127.0.0.1:${sim.port}`);
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = saved;
    }
  });
});

describe('callModel: every failure resolves, classified', () => {
  it('500 → server (retryable)', async () => {
    const sim = await simulator({ faults: { '500': 1 } });
    const r = await callModel(ask, { host: sim.url });
    expect(r.success).toBe(false);
    expect(r.metadata.error).toMatchObject({ kind: 'server', status: 500 });
    expect(r.metadata.error?.message).not.toBe('');
    expect(isRetryable('server')).toBe(true);
  });

  it('a wrong option type → 500 from Ollama, but a bad request: one request, no retry', async () => {
    const sim = await simulator();
    const r = await callModel(ask, { host: sim.url, options: { num_ctx: '8k' } });
    expect(r.metadata.error).toEqual({ kind: 'bad-request', status: 500, message: 'option "num_ctx" must be of type integer' });
    expect(r.retries).toBe(0);
    expect(sim.stats().byModel['qwen2.5-coder:7b']?.requests).toBe(1); // one chat request (the window probe aside)
  });

  it('503 → busy, with Ollama text', async () => {
    const sim = await simulator({ faults: { '503': 1 } });
    const r = await callModel(ask, { host: sim.url });
    expect(r.metadata.error).toEqual({
      kind: 'busy',
      status: 503,
      message: 'server busy, please try again.  maximum pending requests exceeded',
    });
  });

  it('hang → timeout within timeoutMs + margin, and the server sees the connection close', async () => {
    const sim = await simulator({ faults: { hang: 1 } });
    const r = await callModel(ask, { host: sim.url, timeoutMs: 300 });
    expect(r.success).toBe(false);
    expect(r.metadata.error).toEqual({ kind: 'timeout', message: 'timed out after 300 ms' });
    expect(r.durationMs).toBeGreaterThanOrEqual(295);
    expect(r.durationMs).toBeLessThan(300 + 1500);
    await eventually(() => sim.stats().disconnects === 1);
  });

  it('the timeout covers waiting in the queue, where no headers have been sent', async () => {
    const sim = await simulator({ numParallel: 1, replyTokens: 30, latency: { perTokenMs: 15 } });
    const first = callModel(ask, { host: sim.url });
    await eventually(() => sim.stats().inFlight === 1);
    const second = await callModel([{ role: 'user', content: 'another' }], { host: sim.url, timeoutMs: 150 });
    expect(second.metadata.error?.kind).toBe('timeout');
    expect(second.durationMs).toBeLessThan(150 + 1500);
    await eventually(() => sim.stats().disconnects === 1 && sim.stats().queued === 0);
    expect((await first).success).toBe(true);
  });

  it('reset → connection', async () => {
    const sim = await simulator({ faults: { reset: 1 } });
    const r = await callModel(ask, { host: sim.url });
    expect(r.metadata.error?.kind).toBe('connection');
    expect(r.metadata.error?.message).toContain(sim.url);
  });

  it('midstream error line → server, keeping the partial content', async () => {
    const sim = await simulator({ faults: { midstream: 1 }, replyTokens: 30 });
    const r = await callModel(ask, { host: sim.url });
    expect(r.success).toBe(false);
    expect(r.metadata.error?.kind).toBe('server');
    expect(r.metadata.error?.status).toBeUndefined();
    expect(r.metadata.doneReason).toBeUndefined();
    expect(r.content).not.toBe('');
  });

  it('badjson with json:true → invalid-output with a parse issue', async () => {
    const sim = await simulator({ faults: { badjson: 1 } });
    const r = await callModel(ask, { host: sim.url, json: true });
    expect(r.success).toBe(false);
    expect(r.metadata.error?.kind).toBe('invalid-output');
    expect(r.metadata.issues?.[0]?.message).toMatch(/^reply is not valid JSON/);
    expect(r.data).toBeUndefined();
    expect(r.content).not.toBe('');
  });

  it('schema fault → invalid-output with the exact zod issues', async () => {
    const sim = await simulator({ faults: { schema: 1 } });
    const r = await callModel(ask, { host: sim.url, schema: person });
    expect(r.metadata.error?.kind).toBe('invalid-output');
    const expected = person.safeParse(JSON.parse(r.content));
    expect(expected.success).toBe(false);
    expect(r.metadata.issues).toEqual(
      expected.error?.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  });

  it('truncate with a schema → invalid-output saying the reply hit maxTokens', async () => {
    const sim = await simulator({ faults: { truncate: 1 } });
    const r = await callModel(ask, { host: sim.url, schema: person, maxTokens: 64 });
    expect(r.metadata.doneReason).toBe('length');
    expect(r.metadata.error?.kind).toBe('invalid-output');
    expect(r.metadata.issues?.[0]).toEqual({
      path: '',
      message: 'reply was truncated at maxTokens (64 tokens) before the JSON was complete',
    });
  });

  it('unknown model → model-not-found (not retryable)', async () => {
    const sim = await simulator();
    const r = await callModel(ask, { host: sim.url, model: 'nope:1b' });
    expect(r.metadata.error).toEqual({ kind: 'model-not-found', status: 404, message: "model 'nope:1b' not found" });
    expect(r.model).toBe('nope:1b');
    expect(isRetryable('model-not-found')).toBe(false);
  });

  it('nothing listening → connection refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const r = await callModel(ask, { host: `127.0.0.1:${port}` });
    expect(r.metadata.error).toEqual({
      kind: 'connection',
      message: `cannot connect to Ollama at http://127.0.0.1:${port}: connection refused`,
    });
  });

  it('a port fetch refuses to dial → bad-request, not a retryable connection error', async () => {
    const r = await callModel(ask, { host: '127.0.0.1:1' });
    expect(r.metadata.error?.kind).toBe('bad-request');
    expect(r.metadata.error?.message).toMatch(/bad port/);
  });
});

describe('callModel: cancellation', () => {
  it('options.signal while queued/hanging → aborted, and the server sees the disconnect', async () => {
    const sim = await simulator({ faults: { hang: 1 } });
    const controller = new AbortController();
    const pending = callModel(ask, { host: sim.url, timeoutMs: 10_000 }, { signal: controller.signal });
    await eventually(() => sim.stats().byModel['qwen2.5-coder:7b']?.requests === 1);
    controller.abort();
    const r = await pending;
    expect(r.metadata.error).toEqual({ kind: 'aborted', message: 'aborted by the caller' });
    expect(r.durationMs).toBeLessThan(10_000);
    await eventually(() => sim.stats().disconnects === 1);
  });

  it('options.signal while streaming → aborted, the stream stops and the server sees it', async () => {
    const sim = await simulator({ replyTokens: 200, latency: { perTokenMs: 15 } });
    const controller = new AbortController();
    let pieces = 0;
    const r = await callModel(ask, { host: sim.url }, {
      signal: controller.signal,
      onToken: () => {
        if (++pieces === 3) controller.abort(new Error('user pressed stop'));
      },
    });
    expect(r.metadata.error).toEqual({ kind: 'aborted', message: 'aborted by the caller: user pressed stop' });
    expect(r.ttftMs).not.toBeNull();
    await eventually(() => sim.stats().disconnects === 1);
    expect(sim.stats().completed).toBe(0);
  });

  it('an already-aborted signal makes no request', async () => {
    const sim = await simulator();
    const r = await callModel(ask, { host: sim.url }, { signal: AbortSignal.abort() });
    expect(r.metadata.error?.kind).toBe('aborted');
    expect(sim.stats().requests).toBe(0);
  });

  it('an onToken that throws rejects the call (a caller bug) and closes the stream', async () => {
    const sim = await simulator({ replyTokens: 200, latency: { perTokenMs: 10 } });
    const bug = new RangeError('bug in the view');
    await expect(callModel(ask, { host: sim.url }, { onToken: () => { throw bug; } })).rejects.toBe(bug);
    await eventually(() => sim.stats().disconnects === 1);
  });
});

describe('callModel: config mistakes throw', () => {
  it.each([
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ model: '' }, /model/],
    [{ temperature: 'warm' as unknown as number }, /temperature/],
    [{ host: 'ftp://x' }, /host/],
  ])('%j → ConfigError', async (config, field) => {
    const err = await callModel(ask, config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(field);
  });
});
