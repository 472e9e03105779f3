import { describe, it, expect } from 'vitest';
import http from 'node:http';
import type { Simulator } from '../../src/testing/index.ts';
import { eventually, useSimulators } from '../helpers/simulators.ts';

const BUSY = 'server busy, please try again.  maximum pending requests exceeded';
const ask = { model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'hello' }] };

const simulator = useSimulators();

function post(sim: Simulator, path: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** A raw request that records when its headers and its end arrive, in a shared event list. */
function traced(sim: Simulator, name: string, events: string[], body: unknown) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${sim.url}/api/chat`, { method: 'POST' }, (res) => {
      events.push(`${name} headers`);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        events.push(`${name} end`);
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('wire format over raw HTTP', () => {
  it('GET / says Ollama is running (and HEAD works)', async () => {
    const sim = await simulator();
    const r = await fetch(sim.url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await r.text()).toBe('Ollama is running');
    expect((await fetch(sim.url, { method: 'HEAD' })).status).toBe(200);
  });

  it('omitted stream means streaming: NDJSON, one object per line, done line last', async () => {
    const sim = await simulator({ replyTokens: 6 });
    const r = await post(sim, '/api/chat', ask);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-ndjson');
    const text = await r.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(7);
    for (const line of lines.slice(0, -1)) {
      expect(Object.keys(line)).toEqual(['model', 'created_at', 'message', 'done']);
      expect(line.done).toBe(false);
    }
    const done = lines.at(-1) as Record<string, unknown>;
    expect(done).toMatchObject({ model: 'qwen2.5-coder:7b', done: true, done_reason: 'stop', eval_count: 6 });
    expect(done.message).toEqual({ role: 'assistant', content: '' });
  });

  it('stream:false gives one JSON body with charset', async () => {
    const sim = await simulator();
    const r = await post(sim, '/api/generate', { model: 'llama3.2:3b', prompt: 'hi', stream: false });
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'llama3.2:3b', done: true, done_reason: 'stop' });
    expect(typeof body.response).toBe('string');
  });

  it.each([
    ['missing model', { messages: [] }, 400, 'model is required'],
    ['empty model', { model: '', messages: [] }, 400, 'model is required'],
    ['unknown model', { model: 'ghost:7b', messages: [] }, 404, "model 'ghost:7b' not found"],
    ['model of the wrong type', { model: 7 }, 400, 'json: cannot unmarshal number into Go struct field ChatRequest.model of type string'],
    ['empty body', '', 400, 'missing request body'],
    // Go's scanner reads 'n' as the start of null and stumbles on the 'o'.
    ['garbage', 'nope', 400, "invalid character 'o' in literal null (expecting 'u')"],
    ['not JSON at all', 'hello', 400, "invalid character 'h' looking for beginning of value"],
    ['cut-off JSON', '{"model": "qwen', 400, 'unexpected EOF'],
    ['an array', '[]', 400, 'json: cannot unmarshal array into Go value of type api.ChatRequest'],
    ['think on a model without thinking', { ...ask, think: true }, 400, '"qwen2.5-coder:7b" does not support thinking'],
    ['a bad format', { ...ask, format: 'xml', stream: false }, 500, 'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object'],
  ])('%s → %i {"error": %j}', async (_name, body, status, message) => {
    const sim = await simulator();
    const r = await post(sim, '/api/chat', body);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await r.json()).toEqual({ error: message });
  });

  it('unknown paths are a plain-text 404, wrong methods a 405, like Go\'s mux', async () => {
    const sim = await simulator();
    const missing = await fetch(`${sim.url}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 page not found');
    const wrong = await fetch(`${sim.url}/api/chat`);
    expect(wrong.status).toBe(405);
    expect(await wrong.text()).toBe('405 method not allowed');
  });

  it('a chat with no messages loads the model (done_reason "load") without generating', async () => {
    const sim = await simulator();
    const r = await post(sim, '/api/chat', { model: 'llama3.2:3b', messages: [] });
    expect(await r.json()).toMatchObject({ done: true, done_reason: 'load', message: { role: 'assistant', content: '' } });
    const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as { models: { name: string }[] };
    expect(ps.models.map((m) => m.name)).toEqual(['llama3.2:3b']);
    const unload = await post(sim, '/api/generate', { model: 'llama3.2:3b', prompt: '', keep_alive: 0 });
    expect(await unload.json()).toMatchObject({ done: true, done_reason: 'unload', response: '' });
    expect(((await (await fetch(`${sim.url}/api/ps`)).json()) as { models: unknown[] }).models).toEqual([]);
  });

  it('embed errors: unknown model 404, wrong input type 400', async () => {
    const sim = await simulator();
    const unknown = await post(sim, '/api/embed', { model: 'ghost', input: 'x' });
    // The embed handlers report GetModel's miss through handleScheduleError, unlike chat and generate.
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: 'model "ghost" not found, try pulling it first' }]);
    const bad = await post(sim, '/api/embed', { model: 'nomic-embed-text', input: [1, 2] });
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'invalid input type' }]);
    const legacy = await post(sim, '/api/embeddings', { model: 'nomic-embed-text', prompt: 'hello world' });
    expect(((await legacy.json()) as { embedding: number[] }).embedding).toHaveLength(768);
  });
});

describe('queueing like OLLAMA_NUM_PARALLEL / OLLAMA_MAX_QUEUE', () => {
  it('sends no headers to a queued request until the slot frees', async () => {
    // B's headers can only follow its ttft, so a slow event loop cannot make them overtake A's end.
    const sim = await simulator({ numParallel: 1, replyTokens: 10, latency: { ttftMs: 60, perTokenMs: 5 } });
    const events: string[] = [];
    const first = traced(sim, 'A', events, ask);
    // Headers go out with the first token, as Ollama's do.
    await eventually(() => events.length === 1);
    const second = traced(sim, 'B', events, { ...ask, messages: [{ role: 'user', content: 'second' }] });
    await eventually(() => sim.stats().queued === 1);
    expect(events).toEqual(['A headers']);
    await Promise.all([first, second]);
    expect(events).toEqual(['A headers', 'A end', 'B headers', 'B end']);
    expect(sim.stats().maxConcurrent).toBe(1);
  });

  it('answers 503 busy (two spaces) at once when maxQueue requests already wait', async () => {
    const sim = await simulator({ numParallel: 1, maxQueue: 1, replyTokens: 10, latency: { perTokenMs: 15 } });
    const first = post(sim, '/api/chat', ask);
    await eventually(() => sim.stats().inFlight === 1);
    const second = post(sim, '/api/chat', { ...ask, messages: [{ role: 'user', content: 'b' }] });
    await eventually(() => sim.stats().queued === 1);
    const third = await post(sim, '/api/chat', { ...ask, messages: [{ role: 'user', content: 'c' }] });
    expect(third.status).toBe(503);
    expect(await third.json()).toEqual({ error: BUSY });
    expect(sim.stats().inFlight).toBe(1);
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });

  it('runs numParallel requests of one model at once, and models do not share slots', async () => {
    const sim = await simulator({ numParallel: 2, replyTokens: 5, latency: { perTokenMs: 20 } });
    const bodies = ['a', 'b', 'c'].map((c) => ({ ...ask, messages: [{ role: 'user', content: c }] }));
    const other = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'd' }] };
    const all = Promise.all([...bodies, other].map((b) => post(sim, '/api/chat', b).then((r) => r.text())));
    await eventually(() => sim.stats().inFlight === 3 && sim.stats().queued === 1);
    await all;
    expect(sim.stats().maxConcurrent).toBe(3);
    expect(sim.stats().completed).toBe(4);
  });

  it('the first request pays the load time in load_duration; the model then shows in /api/ps', async () => {
    const sim = await simulator({ latency: { loadMs: 80 } });
    const loaded = async () => ((await (await fetch(`${sim.url}/api/ps`)).json()) as { models: unknown[] }).models.length;
    expect(await loaded()).toBe(0);
    const cold = (await (await post(sim, '/api/chat', { ...ask, stream: false })).json()) as { load_duration: number };
    expect(cold.load_duration).toBeGreaterThanOrEqual(75e6);
    expect(await loaded()).toBe(1);
  });
});
