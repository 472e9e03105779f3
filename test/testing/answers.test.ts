// Answers in Ollama's shape where the simulator used to answer differently: keep_alive forever in /api/ps,
// logprobs, gpt-oss thinking, omitempty fields of /api/show, parent_model, unload before capability checks.
import { describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import type { Simulator } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const MODELS = ['qwen3:8b', 'gpt-oss:20b', 'llama3.2:3b', 'nomic-embed-text'];
const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];

async function post(sim: Simulator, path: string, body: unknown) {
  const r = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

describe('keep_alive as api.Duration reads it (api/types.go), shown by /api/ps (server/sched.go expiresAt)', () => {
  it('a negative number or duration means forever: 292 years from now, time.Duration(math.MaxInt64)', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    await ollama.chat({ model: 'llama3.2:3b', messages: ask, keep_alive: -1 });
    await ollama.generate({ model: 'qwen3:8b', prompt: 'x', keep_alive: '-1m' });
    await ollama.chat({ model: 'gpt-oss:20b', messages: ask, keep_alive: '10m' });
    const ps = await ollama.ps();
    const years = Object.fromEntries(ps.models.map((m) => [m.name, (new Date(m.expires_at).getTime() - Date.now()) / YEAR_MS]));
    expect(years['llama3.2:3b']).toBeGreaterThan(292);
    expect(years['qwen3:8b']).toBeGreaterThan(292);
    expect(years['gpt-oss:20b']! * YEAR_MS).toBeGreaterThan(9 * 60_000);
    expect(years['gpt-oss:20b']! * YEAR_MS).toBeLessThanOrEqual(10 * 60_000);
    // Longest time left first, as PsHandler sorts.
    expect(ps.models.at(-1)!.name).toBe('gpt-oss:20b');
  });

  it('"0" and 0 unload after the request; with no messages they unload before any capability check', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    await ollama.chat({ model: 'llama3.2:3b', messages: ask, keep_alive: '0' });
    expect((await ollama.ps()).models).toEqual([]);
    // An embedding-only model cannot chat, but the unload branch comes first in ChatHandler and GenerateHandler.
    const chat = await post(sim, '/api/chat', { model: 'nomic-embed-text', messages: [], keep_alive: 0 });
    expect([chat.status, JSON.parse(chat.text)]).toEqual([200, expect.objectContaining({ done: true, done_reason: 'unload', message: { role: 'assistant', content: '' } })]);
    const gen = await post(sim, '/api/generate', { model: 'nomic-embed-text', keep_alive: 0 });
    expect(JSON.parse(gen.text)).toMatchObject({ done: true, done_reason: 'unload', response: '' });
  });
});

describe('logprobs (server/logprob.go): produced only when asked', () => {
  it('streamed: one per token chunk; whole: all of them; each with its bytes and top_logprobs alternatives', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    const whole = (await ollama.chat({ model: 'qwen3:8b', messages: ask, logprobs: true, top_logprobs: 2 })) as unknown as {
      eval_count: number;
      message: { content: string; thinking: string };
      logprobs: { token: string; logprob: number; bytes: number[]; top_logprobs: { token: string }[] }[];
    };
    // Reasoning tokens have logprobs too: they are generated like the answer.
    expect(whole.logprobs).toHaveLength(whole.eval_count);
    expect(whole.logprobs.map((l) => l.token).join('')).toBe(whole.message.thinking + whole.message.content);
    expect(whole.logprobs.every((l) => l.top_logprobs.length === 2 && l.top_logprobs[0]!.token === l.token)).toBe(true);
    const stream = await ollama.generate({ model: 'llama3.2:3b', prompt: 'x', stream: true, logprobs: true });
    for await (const part of stream) {
      const logprobs = (part as unknown as { logprobs?: { token: string; top_logprobs?: unknown }[] }).logprobs;
      if (part.done) expect(logprobs).toBeUndefined();
      else expect(logprobs).toEqual([expect.objectContaining({ token: part.response })]);
      if (!part.done) expect(logprobs![0]).not.toHaveProperty('top_logprobs');
    }
    const plain = await post(sim, '/api/chat', { model: 'llama3.2:3b', messages: ask, stream: false, top_logprobs: 5 });
    expect(JSON.parse(plain.text)).not.toHaveProperty('logprobs');
  });
});

describe('gpt-oss thinks through the harmony parser (routes.go shouldUseHarmony, docs/capabilities/thinking.mdx)', () => {
  it('cannot turn thinking off; low, medium and high set how long it reasons; max means high', async () => {
    const sim = await simulator({ models: MODELS });
    // ollama-js does not know the "max" level yet: send the bodies as they are.
    const thinking = async (think: boolean | string) => {
      const r = await post(sim, '/api/chat', { model: 'gpt-oss:20b', messages: ask, think, stream: false });
      return (JSON.parse(r.text) as { message: { thinking?: string } }).message.thinking ?? '';
    };
    const [off, low, medium, high, max] = await Promise.all([thinking(false), thinking('low'), thinking('medium'), thinking('high'), thinking('max')]);
    expect(off.length).toBeGreaterThan(0);
    expect(off).toBe(medium);
    expect(low.length).toBeLessThan(medium.length);
    expect(medium.length).toBeLessThan(high.length);
    expect(max).toBe(high);
    // Other thinking models do turn it off.
    expect((await new Ollama({ host: sim.url }).chat({ model: 'qwen3:8b', messages: ask, think: false })).message.thinking).toBeUndefined();
  });
});

describe('model listings in api/types.go shapes', () => {
  it('/api/show leaves out empty omitempty fields; parent_model names the model a created one came from', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    const embedder = JSON.parse((await post(sim, '/api/show', { model: 'nomic-embed-text' })).text) as Record<string, unknown>;
    expect(Object.keys(embedder).sort()).toEqual(['capabilities', 'details', 'model_info', 'modelfile', 'modified_at', 'template']);
    const chat = JSON.parse((await post(sim, '/api/show', { model: 'llama3.2:3b' })).text) as Record<string, unknown>;
    expect(chat).not.toHaveProperty('license');
    expect(chat).not.toHaveProperty('system');
    expect(chat.details).toMatchObject({ parent_model: '' });
    await ollama.create({ model: 'pirate', from: 'llama3.2', system: 'Arr.' });
    await ollama.create({ model: 'pirate:v2', from: 'pirate' });
    expect((await ollama.show({ model: 'pirate' })).details.parent_model).toBe('llama3.2:latest');
    expect((await ollama.show({ model: 'pirate:v2' })).details.parent_model).toBe('pirate:latest');
    const tags = await ollama.list();
    expect(tags.models.find((m) => m.name === 'pirate:latest')!.details.parent_model).toBe('llama3.2:latest');
    // /api/tags now carries capabilities and the lengths; /api/ps builds its details without a parent.
    const listed = (JSON.parse(await (await fetch(`${sim.url}/api/tags`)).text()) as { models: Record<string, unknown>[] }).models;
    expect(listed.find((m) => m.name === 'qwen3:8b')).toMatchObject({
      capabilities: ['completion', 'tools', 'thinking'],
      details: { context_length: 40960, embedding_length: 4096 },
    });
    await ollama.chat({ model: 'pirate', messages: ask });
    expect((await ollama.ps()).models[0]!.details.parent_model).toBe('');
  });
});

describe('what Go decoding accepts', () => {
  it('field names match case-insensitively, unknown fields are ignored, roles are lower-cased', async () => {
    const sim = await simulator({ models: MODELS, script: { '*': (req) => req.messages.map((m) => m.role).join(',') } });
    const r = await post(sim, '/api/chat', { MODEL: 'llama3.2:3b', Messages: [{ ROLE: 'User', content: 'hi' }], Stream: false, colour: 'blue' });
    expect(JSON.parse(r.text)).toMatchObject({ done: true, message: { content: 'user' } });
  });
});
