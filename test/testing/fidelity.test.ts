// Conformance of the native /api endpoints with Ollama's server: status codes, content types, field names, JSON types, units.
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { Ollama } from 'ollama';
import type { Simulator } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const MODELS = ['qwen3:8b', 'gpt-oss:20b', 'llama3.2:3b', 'llava:7b', 'nomic-embed-text', 'mxbai-embed-large', 'all-minilm'];
const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', minLength: 1 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'days'],
      additionalProperties: false,
    },
  },
};
const clock = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } }, required: ['zone'] } } };

async function call(sim: Simulator, path: string, body?: unknown, method = 'POST') {
  const r = await fetch(`${sim.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), text, json: () => JSON.parse(text) as Record<string, unknown> };
}

function lines(text: string): Record<string, unknown>[] {
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectNanoseconds(r: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    expect(Number.isInteger(r[key]), key).toBe(true);
    expect(r[key] as number, key).toBeGreaterThan(0);
  }
}

describe('the model table', () => {
  it('tags, show and ps read families, sizes, quantization, context and capabilities from it', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toEqual(MODELS.map((m) => (m.includes(':') ? m : `${m}:latest`)));
    const byName = Object.fromEntries(tags.models.map((m) => [m.name, m]));
    expect(byName['gpt-oss:20b']!.details).toMatchObject({ family: 'gptoss', parameter_size: '20B', quantization_level: 'MXFP4' });
    expect(byName['nomic-embed-text:latest']!.details).toMatchObject({ family: 'nomic-bert', parameter_size: '137M', quantization_level: 'F16' });
    const caps = async (model: string) => (await ollama.show({ model })).capabilities;
    expect(await caps('qwen3:8b')).toEqual(['completion', 'tools', 'thinking']);
    expect(await caps('gpt-oss:20b')).toContain('thinking');
    expect(await caps('llava:7b')).toEqual(['completion', 'vision']);
    expect(await caps('llama3.2:3b')).toEqual(['completion', 'tools']);
    for (const embedder of ['nomic-embed-text', 'mxbai-embed-large', 'all-minilm']) expect(await caps(embedder)).toEqual(['embedding']);
    const show = await ollama.show({ model: 'mxbai-embed-large' });
    expect(show.model_info).toMatchObject({ 'general.architecture': 'bert', 'bert.context_length': 512, 'bert.embedding_length': 1024 });
    await ollama.chat({ model: 'qwen3:8b', messages: ask, think: false });
    const ps = await ollama.ps();
    // The loaded runner's context: the server default (4096), not the trained 40960, as Ollama runs it.
    expect(ps.models[0]).toMatchObject({ name: 'qwen3:8b', context_length: 4096 });
  });

  it('accepts full entries next to names', async () => {
    const sim = await simulator({
      models: ['llama3.2:3b', { name: 'house-model:1b', family: 'llama', parameterSize: '1.2B', quantization: 'Q8_0', contextLength: 8192, capabilities: ['completion'] }],
    });
    const show = await new Ollama({ host: sim.url }).show({ model: 'house-model:1b' });
    expect(show.capabilities).toEqual(['completion']);
    expect(show.details).toMatchObject({ family: 'llama', parameter_size: '1.2B', quantization_level: 'Q8_0' });
    expect(show.model_info).toMatchObject({ 'llama.context_length': 8192 });
    const tools = await call(sim, '/api/chat', { model: 'house-model:1b', messages: ask, tools: [weather] });
    expect([tools.status, tools.json()]).toEqual([400, { error: 'registry.ollama.ai/library/house-model:1b does not support tools' }]);
  });

  it('refuses a bad table', async () => {
    await expect(simulator({ models: [{ name: '' }] })).rejects.toThrow(RangeError);
    await expect(simulator({ models: [{ name: 'x', capabilities: [] }] })).rejects.toThrow(RangeError);
  });
});

describe('capability errors, word for word', () => {
  it.each([
    ['/api/chat', { model: 'nomic-embed-text', messages: ask }, 400, '"nomic-embed-text" does not support chat'],
    ['/api/generate', { model: 'all-minilm', prompt: 'x' }, 400, '"all-minilm" does not support generate'],
    ['/api/chat', { model: 'llava:7b', messages: ask, tools: [weather] }, 400, 'registry.ollama.ai/library/llava:7b does not support tools'],
    ['/api/chat', { model: 'llama3.2:3b', messages: ask, think: true }, 400, '"llama3.2:3b" does not support thinking'],
    ['/api/generate', { model: 'llama3.2:3b', prompt: 'x', think: 'high' }, 400, '"llama3.2:3b" does not support thinking'],
    ['/api/chat', { model: 'qwen3:8b', messages: ask, think: 'extreme' }, 400, 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'],
    ['/api/generate', { model: 'llama3.2:3b', prompt: 'x', suffix: 'y' }, 400, 'registry.ollama.ai/library/llama3.2:3b does not support insert'],
    ['/api/chat', { messages: ask }, 400, 'model is required'],
    ['/api/generate', { prompt: 'x' }, 404, "model '' not found"],
    ['/api/embed', { input: 'x' }, 404, "model '' not found"],
    ['/api/generate', { model: 'llama3.2:3b', prompt: 'x', raw: true, system: 's' }, 400, 'raw mode does not support template, system, or context'],
  ])('%s %j → %i', async (path, body, status, error) => {
    const sim = await simulator({ models: MODELS });
    const r = await call(sim, path, body);
    expect(r.status).toBe(status);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect(r.json()).toEqual({ error });
  });

  it('embedding with a generative model works, as in Ollama, with its embedding length', async () => {
    const sim = await simulator({ models: MODELS });
    const r = await new Ollama({ host: sim.url }).embed({ model: 'llama3.2:3b', input: 'hello' });
    expect(r.embeddings[0]).toHaveLength(3072);
    const short = await new Ollama({ host: sim.url }).embed({ model: 'nomic-embed-text', input: 'hello', dimensions: 256 });
    expect(short.embeddings[0]).toHaveLength(256);
  });
});

describe('thinking', () => {
  it('is on by default for a thinking model: message.thinking apart from content, counted in eval_count', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    const r = await ollama.chat({ model: 'qwen3:8b', messages: ask });
    expect(typeof r.message.thinking).toBe('string');
    expect(r.message.thinking!.length).toBeGreaterThan(0);
    const thinkingTokens = r.message.thinking!.match(/\S+\s*/g)!.length;
    const contentTokens = r.message.content.match(/\S+\s*/g)!.length;
    expect(r.eval_count).toBe(thinkingTokens + contentTokens);
    const off = await ollama.chat({ model: 'qwen3:8b', messages: ask, think: false });
    expect(off.message.thinking).toBeUndefined();
    expect(off.message.content).toBe(r.message.content);
  });

  it('streams thinking chunks before content chunks; generate uses a top-level `thinking`', async () => {
    const sim = await simulator({ models: MODELS });
    const ollama = new Ollama({ host: sim.url });
    const stream = await ollama.chat({ model: 'gpt-oss:20b', messages: ask, think: 'low', stream: true });
    const kinds: string[] = [];
    for await (const part of stream) {
      if (part.done) kinds.push('done');
      else kinds.push(part.message.thinking ? 'thinking' : 'content');
    }
    const firstContent = kinds.indexOf('content');
    expect(kinds.lastIndexOf('thinking')).toBeLessThan(firstContent);
    expect(kinds.at(-1)).toBe('done');
    const generated = await call(sim, '/api/generate', { model: 'qwen3:8b', prompt: 'Why?', stream: false });
    expect(typeof generated.json().thinking).toBe('string');
  });

  it('scripts may give the thinking', async () => {
    const sim = await simulator({ models: MODELS, script: { '*': (req) => ({ content: 'yes', thinking: req.think ? 'hmm' : undefined }) } });
    const r = await new Ollama({ host: sim.url }).chat({ model: 'qwen3:8b', messages: ask });
    expect(r.message).toMatchObject({ content: 'yes', thinking: 'hmm' });
  });
});

describe('tool calls', () => {
  it('calls a tool with schema-valid arguments, then answers once a tool result follows', async () => {
    const sim = await simulator({ models: MODELS, seed: 5 });
    const ollama = new Ollama({ host: sim.url });
    const first = await ollama.chat({ model: 'llama3.2:3b', messages: ask, tools: [weather, clock] });
    const calls = first.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const [toolCall] = calls as [{ id: string; function: { index: number; name: string; arguments: Record<string, unknown> } }];
    expect(toolCall.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(toolCall.function.index).toBe(0);
    expect(['get_weather', 'get_time']).toContain(toolCall.function.name);
    if (toolCall.function.name === 'get_weather') {
      expect(Object.keys(toolCall.function.arguments).sort()).toEqual(['city', 'days']);
      expect(Number.isInteger(toolCall.function.arguments.days)).toBe(true);
    } else expect(['UTC', 'CET']).toContain(toolCall.function.arguments.zone);
    expect(first.message.content).toBe('');
    const again = await ollama.chat({ model: 'llama3.2:3b', messages: ask, tools: [weather, clock] });
    expect(again.message.tool_calls).toEqual(calls);
    const answer = await ollama.chat({
      model: 'llama3.2:3b',
      tools: [weather, clock],
      messages: [...ask, first.message, { role: 'tool', content: 'sunny', tool_name: toolCall.function.name }],
    });
    expect(answer.message.tool_calls).toBeUndefined();
    expect(answer.message.content.length).toBeGreaterThan(0);
  });

  it('streaming: the calls arrive in a chunk before the done line', async () => {
    const sim = await simulator({ models: MODELS });
    const r = await call(sim, '/api/chat', { model: 'qwen3:8b', messages: ask, tools: [weather], think: false });
    expect(r.type).toBe('application/x-ndjson');
    const all = lines(r.text);
    const withCalls = all.findIndex((l) => Array.isArray((l.message as { tool_calls?: unknown }).tool_calls));
    expect(withCalls).toBe(all.length - 2);
    expect(all.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
  });

  it('scripts see tools, tool_calls and tool_name, and answer as a function of the conversation', async () => {
    const seen: unknown[] = [];
    const sim = await simulator({
      models: MODELS,
      script: {
        '*': (req) => {
          seen.push({ tools: req.tools?.map((t) => t.function.name), last: req.messages.at(-1) });
          return req.messages.some((m) => m.role === 'tool')
            ? 'done'
            : { content: '', toolCalls: [{ function: { name: 'get_time', arguments: { zone: 'UTC' } } }] };
        },
      },
    });
    const ollama = new Ollama({ host: sim.url });
    const first = await ollama.chat({ model: 'llama3.2:3b', messages: ask, tools: [clock] });
    const second = await ollama.chat({
      model: 'llama3.2:3b',
      tools: [clock],
      messages: [...ask, first.message, { role: 'tool', content: '12:00', tool_name: 'get_time' }],
    });
    expect(second.message.content).toBe('done');
    expect(seen[0]).toEqual({ tools: ['get_time'], last: ask[0] });
    expect(seen[1]).toEqual({ tools: ['get_time'], last: { role: 'tool', content: '12:00', tool_name: 'get_time' } });
  });

  it('the tools fault calls an unknown tool or breaks the schema, and is logged', async () => {
    const sim = await simulator({ models: MODELS, faults: { tools: 1 } });
    const ollama = new Ollama({ host: sim.url });
    const r = await ollama.chat({ model: 'llama3.2:3b', messages: ask, tools: [weather] });
    const [bad] = r.message.tool_calls!;
    const args = bad!.function.arguments;
    const valid =
      bad!.function.name === 'get_weather' &&
      typeof args.city === 'string' && (args.city as string).length > 0 &&
      Number.isInteger(args.days) && (args.days as number) >= 1 && (args.days as number) <= 7 &&
      Object.keys(args).length === 2;
    expect(valid).toBe(false);
    expect(sim.stats().faults.tools).toBe(1);
    expect(sim.log()[0]!.fault).toBe('tools');
    // Without tools there is nothing to break.
    const plain = await ollama.chat({ model: 'llama3.2:3b', messages: ask });
    expect(plain.message.tool_calls).toBeUndefined();
  });
});

describe('generate details', () => {
  it('raw mode returns no context; normal mode does', async () => {
    const sim = await simulator({ models: MODELS });
    const raw = await call(sim, '/api/generate', { model: 'llama3.2:3b', prompt: 'x', raw: true, stream: false });
    expect(raw.json()).not.toHaveProperty('context');
    const normal = await call(sim, '/api/generate', { model: 'llama3.2:3b', prompt: 'x', stream: false });
    expect(Array.isArray(normal.json().context)).toBe(true);
    expectNanoseconds(normal.json(), ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']);
  });
});

describe('model management', () => {
  it('pull streams Ollama progress, then the model is listed', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    const r = await call(sim, '/api/pull', { model: 'qwen3:0.6b' });
    expect([r.status, r.type]).toEqual([200, 'application/x-ndjson']);
    const progress = lines(r.text);
    const statuses = progress.map((p) => p.status as string);
    expect(statuses[0]).toBe('pulling manifest');
    expect(statuses.slice(-3)).toEqual(['verifying sha256 digest', 'writing manifest', 'success']);
    const layer = progress.find((p) => /^pulling [0-9a-f]{12}$/.test(p.status as string) && p.completed !== undefined)!;
    expect(layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(layer.status).toBe(`pulling ${(layer.digest as string).slice(7, 19)}`);
    expect(Number.isInteger(layer.total)).toBe(true);
    const ollama = new Ollama({ host: sim.url });
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toContain('qwen3:0.6b');
    expect((await ollama.show({ model: 'qwen3:0.6b' })).capabilities).toContain('thinking');
    // The official client, streaming and not.
    expect(await ollama.pull({ model: 'all-minilm' })).toEqual({ status: 'success' });
    const parts = [];
    for await (const part of await ollama.pull({ model: 'mistral:7b', stream: true })) parts.push(part.status);
    expect(parts.at(-1)).toBe('success');
  });

  it('pull of a name the registry lacks fails like Ollama', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    const whole = await call(sim, '/api/pull', { model: 'no-such-model', stream: false });
    expect([whole.status, whole.json()]).toEqual([500, { error: 'pull model manifest: file does not exist' }]);
    const streamed = await call(sim, '/api/pull', { model: 'no-such-model' });
    expect(streamed.status).toBe(200);
    expect(lines(streamed.text)).toEqual([{ status: 'pulling manifest' }, { error: 'pull model manifest: file does not exist' }]);
    const error = await new Ollama({ host: sim.url }).pull({ model: 'no-such-model' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status_code: 500, message: 'pull model manifest: file does not exist' });
    const extra = await simulator({ models: ['llama3.2:3b'], registry: ['house-model'] });
    expect((await call(extra, '/api/pull', { model: 'house-model:1b', stream: false })).json()).toEqual({ status: 'success' });
  });

  it('create from a model with a system prompt, copy, delete', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'], script: { '*': (req) => req.messages[0]?.content ?? '' } });
    const ollama = new Ollama({ host: sim.url });
    expect(await ollama.create({ model: 'pirate', from: 'llama3.2:3b', system: 'Talk like a pirate.' })).toEqual({ status: 'success' });
    const show = await ollama.show({ model: 'pirate' });
    expect(show.system).toBe('Talk like a pirate.');
    expect((await ollama.chat({ model: 'pirate', messages: ask })).message.content).toBe('Talk like a pirate.');
    const copied = await call(sim, '/api/copy', { source: 'pirate', destination: 'pirate2:v1' });
    expect([copied.status, copied.text]).toEqual([200, '']);
    const names = (await ollama.list()).models.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['pirate:latest', 'pirate2:v1', 'llama3.2:3b']));
    const missing = await call(sim, '/api/copy', { source: 'ghost', destination: 'x' });
    expect([missing.status, missing.json()]).toEqual([404, { error: 'model "ghost" not found' }]);
    expect(await ollama.delete({ model: 'pirate2:v1' })).toEqual({ status: 'success' });
    const gone = await call(sim, '/api/delete', { model: 'pirate2:v1' }, 'DELETE');
    expect([gone.status, gone.json()]).toEqual([404, { error: "model 'pirate2:v1' not found" }]);
    const neither = await call(sim, '/api/create', { model: 'x', stream: false });
    expect([neither.status, neither.json()]).toEqual([400, { error: "neither 'from' or 'files' was specified" }]);
  });

  it('push streams progress for a local model', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    const r = await call(sim, '/api/push', { model: 'llama3.2:3b' });
    const statuses = lines(r.text).map((p) => p.status);
    expect(statuses[0]).toBe('retrieving manifest');
    expect(statuses.slice(-2)).toEqual(['pushing manifest', 'success']);
    const none = await call(sim, '/api/push', {});
    expect([none.status, none.json()]).toEqual([400, { error: 'model is required' }]);
  });

  it('blobs: HEAD 404 then POST 201 (digest checked), HEAD 200', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] });
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    expect((await fetch(`${sim.url}/api/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const wrong = await fetch(`${sim.url}/api/blobs/${digest}`, { method: 'POST', body: Buffer.from('other') });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/^digest mismatch, expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"$/);
    expect((await fetch(`${sim.url}/api/blobs/${digest}`, { method: 'POST', body: bytes })).status).toBe(201);
    expect((await fetch(`${sim.url}/api/blobs/${digest}`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${sim.url}/api/blobs/nonsense`, { method: 'HEAD' })).status).toBe(400);
    const created = await call(sim, '/api/create', { model: 'from-files', files: { 'model.gguf': digest }, stream: false });
    expect(created.json()).toEqual({ status: 'success' });
  });
});
