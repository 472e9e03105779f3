import { describe, it, expect } from 'vitest';
import { Ollama } from 'ollama';
import { startSimulator } from '../../src/testing/index.ts';
import { hashString } from '../../src/util/random.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const model = 'qwen2.5-coder:7b';
const ask = [{ role: 'user', content: 'Count to ten.' }];

const simulator = useSimulators();

describe('stats', () => {
  it('counts requests, completed replies and tokens per model', async () => {
    const sim = await simulator({ replyTokens: 7 });
    const ollama = new Ollama({ host: sim.url });
    await ollama.chat({ model, messages: ask });
    await ollama.generate({ model: 'llama3.2:3b', prompt: 'hi' });
    await ollama.list();
    await ollama.chat({ model: 'ghost', messages: ask }).catch(() => undefined);
    await fetch(`${sim.url}/nowhere`);
    expect(sim.stats()).toEqual({
      requests: 5,
      completed: 2,
      byModel: {
        [model]: { requests: 1, completed: 1, tokensOut: 7 },
        'llama3.2:3b': { requests: 1, completed: 1, tokensOut: 7 },
        ghost: { requests: 1, completed: 0, tokensOut: 0 },
      },
      faults: {},
      disconnects: 0,
      inFlight: 0,
      queued: 0,
      maxConcurrent: 1,
      truncations: 0,
      loads: 2,
    });
  });

  it('a streaming request aborted mid-way is one disconnect: generation stops and the slot frees', async () => {
    const sim = await simulator({ replyTokens: 200, latency: { perTokenMs: 10 } });
    const ollama = new Ollama({ host: sim.url });
    const stream = await ollama.chat({ model, messages: ask, stream: true });
    let pieces = 0;
    const stopped = await (async () => {
      for await (const _part of stream) if (++pieces === 3) stream.abort();
    })().catch((e: unknown) => e);
    expect(stopped).toMatchObject({ name: 'AbortError' });
    await eventually(() => sim.stats().disconnects === 1 && sim.stats().inFlight === 0);
    const stats = sim.stats();
    expect(stats.completed).toBe(0);
    expect(stats.byModel[model]?.tokensOut).toBeLessThan(200);
    expect(sim.log()).toEqual([]);
    // The slot is free: the next request is answered.
    expect((await ollama.chat({ model, messages: ask, options: { num_predict: 2 } })).done).toBe(true);
  });

  it('a client that leaves while queued is a disconnect and leaves the queue', async () => {
    const sim = await simulator({ replyTokens: 20, latency: { perTokenMs: 10 } });
    const first = fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model, messages: ask }) });
    await eventually(() => sim.stats().inFlight === 1);
    const controller = new AbortController();
    const waiting = fetch(`${sim.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'second' }] }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await eventually(() => sim.stats().queued === 1);
    controller.abort();
    await eventually(() => sim.stats().queued === 0 && sim.stats().disconnects === 1);
    await (await first).text();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    expect(sim.stats()).toMatchObject({ completed: 1, disconnects: 1, inFlight: 0, queued: 0 });
  });

  it('log(): model, endpoint, body hash, attempt, timestamps for completed requests', async () => {
    const sim = await simulator({ replyTokens: 3 });
    const body = JSON.stringify({ model, messages: ask, stream: false });
    const before = Date.now();
    await (await fetch(`${sim.url}/api/chat`, { method: 'POST', body })).json();
    await (await fetch(`${sim.url}/api/chat`, { method: 'POST', body })).json();
    const log = sim.log();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ endpoint: 'chat', model, bodyHash: hashString(body), attempt: 1, doneReason: 'stop', evalCount: 3 });
    expect(log[1]?.attempt).toBe(2);
    for (const entry of log) {
      expect(entry.receivedAt).toBeGreaterThanOrEqual(before);
      expect(entry.startedAt).toBeGreaterThanOrEqual(entry.receivedAt);
      expect(entry.finishedAt).toBeGreaterThanOrEqual(entry.startedAt);
    }
  });

  it('reset() zeroes counters and the log, and unloads models', async () => {
    const sim = await simulator({ faults: { truncate: 1 } });
    const ollama = new Ollama({ host: sim.url });
    await ollama.chat({ model, messages: ask });
    expect((await ollama.ps()).models).toHaveLength(1);
    sim.reset();
    expect(sim.stats()).toEqual({
      requests: 0,
      completed: 0,
      byModel: {},
      faults: {},
      disconnects: 0,
      inFlight: 0,
      queued: 0,
      maxConcurrent: 0,
      truncations: 0,
      loads: 0,
    });
    expect(sim.log()).toEqual([]);
    expect((await ollama.ps()).models).toEqual([]);
  });

  it('GET /_simulator/stats and POST /_simulator/reset, not counted as requests', async () => {
    const sim = await simulator();
    await new Ollama({ host: sim.url }).chat({ model, messages: ask });
    const stats = (await (await fetch(`${sim.url}/_simulator/stats`)).json()) as { requests: number; completed: number };
    expect(stats).toMatchObject({ requests: 1, completed: 1 });
    const afterReset = await fetch(`${sim.url}/_simulator/reset`, { method: 'POST' });
    expect(afterReset.status).toBe(200);
    expect(await afterReset.json()).toMatchObject({ requests: 0, completed: 0 });
    expect(sim.stats().requests).toBe(0);
    expect(((await (await fetch(`${sim.url}/api/ps`)).json()) as { models: unknown[] }).models).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('close() ends idle keep-alive connections, is idempotent and frees the port', async () => {
    const sim = await startSimulator();
    expect(await (await fetch(sim.url)).text()).toBe('Ollama is running');
    await Promise.all([sim.close(), sim.close()]);
    await expect(fetch(sim.url)).rejects.toThrow();
    const again = await startSimulator({ port: sim.port });
    expect(again.port).toBe(sim.port);
    await again.close();
  });

  it('rejects invalid options with RangeError', async () => {
    await expect(startSimulator({ numParallel: 0 })).rejects.toThrow(/numParallel/);
    await expect(startSimulator({ models: [] })).rejects.toThrow(/models/);
    await expect(startSimulator({ latency: { ttftMs: -1 } })).rejects.toThrow(/latency.ttftMs/);
  });
});
