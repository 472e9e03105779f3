// Conformance of the OpenAI-compatible /v1 endpoints: the official `openai` client unchanged, and the raw wire (SSE, errors).
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';

let sim: Simulator;
let openai: OpenAI;
const MODELS = ['qwen3:8b', 'llama3.2:3b', 'llava:7b', 'nomic-embed-text'];
const ask = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

beforeAll(async () => {
  sim = await startSimulator({ models: MODELS, seed: 9 });
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'ollama', maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});

async function post(path: string, body: unknown) {
  const r = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
}

/** The `data:` payloads of an SSE body, in order. */
function events(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text.trim().split('\n\n').map((block) => {
    expect(block.startsWith('data: ')).toBe(true);
    return block.slice('data: '.length);
  });
}

describe('the official openai client against /v1', () => {
  it('chat.completions, not streaming: Ollama field names, usage in tokens', async () => {
    const r = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask });
    expect(r.id).toMatch(/^chatcmpl-\d{1,3}$/);
    expect(r.object).toBe('chat.completion');
    expect(Number.isInteger(r.created)).toBe(true);
    expect(r.created).toBeLessThan(Date.now() / 1000 + 1);
    expect(r.model).toBe('llama3.2:3b');
    expect(r.system_fingerprint).toBe('fp_ollama');
    expect(r.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant' } });
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(r.usage!.completion_tokens).toBe(24);
  });

  it('chat.completions, streaming: role first, deltas, a finish chunk, a usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'llama3.2:3b',
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.slice(1).every((c) => c.choices.length === 0 || c.choices[0]!.delta.role === undefined)).toBe(true);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.completion_tokens).toBe(24);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const whole = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask });
    expect(text).toBe(whole.choices[0]!.message.content);
  });

  it('tools: tool_calls with string arguments and finish_reason tool_calls, then an answer after the tool result', async () => {
    const r = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask, tools: [weather] });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    const [toolCall] = r.choices[0]!.message.tool_calls!;
    expect(toolCall).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(toolCall!.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(toolCall!.type === 'function' && typeof toolCall!.function.arguments).toBe('string');
    const args = JSON.parse(toolCall!.type === 'function' ? toolCall!.function.arguments : '{}') as { city: unknown };
    expect(typeof args.city).toBe('string');
    const answer = await openai.chat.completions.create({
      model: 'llama3.2:3b',
      tools: [weather],
      messages: [...ask, r.choices[0]!.message, { role: 'tool', tool_call_id: toolCall!.id, content: 'sunny' }],
    });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('tools while streaming: a delta with tool_calls, then finish_reason tool_calls', async () => {
    const stream = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask, tools: [weather], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => (c.choices[0]?.delta.tool_calls?.length ?? 0) > 0)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('response_format json_schema and json_object', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };
    const r = await openai.chat.completions.create({
      model: 'llama3.2:3b',
      messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'n', schema } },
    });
    expect(Number.isInteger((JSON.parse(r.choices[0]!.message.content!) as { n: unknown }).n)).toBe(true);
    const o = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask, response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(o.choices[0]!.message.content!)).toBe('object');
  });

  it('reasoning models: `reasoning` apart from content; reasoning_effort none turns it off', async () => {
    const r = await openai.chat.completions.create({ model: 'qwen3:8b', messages: ask });
    const message = r.choices[0]!.message as unknown as { reasoning?: string; content: string };
    expect(message.reasoning!.length).toBeGreaterThan(0);
    const off = await openai.chat.completions.create({ model: 'qwen3:8b', messages: ask, reasoning_effort: 'none' });
    expect((off.choices[0]!.message as unknown as { reasoning?: string }).reasoning).toBeUndefined();
  });

  it('max_tokens cuts with finish_reason length', async () => {
    const r = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: ask, max_tokens: 3 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(3);
  });

  it('completions, streaming and not', async () => {
    const r = await openai.completions.create({ model: 'llama3.2:3b', prompt: 'Say something.' });
    expect(r.id).toMatch(/^cmpl-\d{1,3}$/);
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop' });
    expect(r.usage!.completion_tokens).toBe(24);
    const stream = await openai.completions.create({ model: 'llama3.2:3b', prompt: 'Say something.', stream: true });
    let text = '';
    let last;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      last = chunk;
    }
    expect(text).toBe(r.choices[0]!.text);
    expect(last!.choices[0]!.finish_reason).toBe('stop');
  });

  it('models list and retrieve', async () => {
    const list = await openai.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['qwen3:8b', 'llama3.2:3b', 'llava:7b', 'nomic-embed-text:latest']);
    expect(list.data[0]).toMatchObject({ object: 'model', owned_by: 'library' });
    expect(Number.isInteger(list.data[0]!.created)).toBe(true);
    const one = await openai.models.retrieve('llama3.2:3b');
    expect(one).toMatchObject({ id: 'llama3.2:3b', object: 'model', owned_by: 'library' });
  });

  it('embeddings: float and base64 (little-endian float32)', async () => {
    const r = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['red fox', 'blue whale'], encoding_format: 'float' });
    expect(r.object).toBe('list');
    expect(r.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 768],
      ['embedding', 1, 768],
    ]);
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens);
    const raw = await post('/v1/embeddings', { model: 'nomic-embed-text', input: 'red fox', encoding_format: 'base64' });
    const encoded = (JSON.parse(raw.text) as { data: { embedding: string }[] }).data[0]!.embedding;
    const bytes = Buffer.from(encoded, 'base64');
    const floats = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(floats).toEqual(r.data[0]!.embedding);
  });

  it('errors: APIError with status and OpenAI error type', async () => {
    const missing = await openai.chat.completions.create({ model: 'ghost', messages: ask }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.APIError);
    expect(missing).toMatchObject({ status: 404, type: 'not_found_error', message: expect.stringContaining("model 'ghost' not found") });
    const tools = await openai.chat.completions.create({ model: 'llava:7b', messages: ask, tools: [weather] }).catch((e: unknown) => e);
    expect(tools).toMatchObject({ status: 400, type: 'invalid_request_error' });
    const retrieve = await openai.models.retrieve('ghost').catch((e: unknown) => e);
    expect(retrieve).toMatchObject({ status: 404, type: 'not_found_error' });
  });
});

describe('the /v1 wire', () => {
  it('SSE: text/event-stream, data lines, [DONE] last', async () => {
    const r = await post('/v1/chat/completions', { model: 'llama3.2:3b', messages: ask, stream: true });
    expect([r.status, r.type]).toEqual([200, 'text/event-stream']);
    const data = events(r.text);
    expect(data.at(-1)).toBe('[DONE]');
    const first = JSON.parse(data[0]!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['choices', 'created', 'id', 'model', 'object', 'system_fingerprint']);
    expect(first.object).toBe('chat.completion.chunk');
    expect((first.choices as { finish_reason: unknown }[])[0]!.finish_reason).toBeNull();
  });

  it('the error shape: { error: { message, type, param, code } }', async () => {
    const empty = await post('/v1/chat/completions', { model: 'llama3.2:3b', messages: [] });
    expect([empty.status, empty.type]).toEqual([400, 'application/json']);
    expect(JSON.parse(empty.text)).toEqual({
      error: { message: "[] is too short - 'messages'", type: 'invalid_request_error', param: null, code: null },
    });
    const embed = await post('/v1/embeddings', { model: 'nomic-embed-text', input: 'x', encoding_format: 'hex' });
    expect(JSON.parse(embed.text)).toMatchObject({
      error: { message: "Invalid value for 'encoding_format' = hex. Supported values: ['float', 'base64'].", type: 'invalid_request_error' },
    });
    const noInput = await post('/v1/embeddings', { model: 'nomic-embed-text' });
    expect(JSON.parse(noInput.text)).toMatchObject({ error: { message: 'invalid input' } });
    const noModel = await post('/v1/chat/completions', { messages: ask });
    expect([noModel.status, JSON.parse(noModel.text)]).toEqual([400, { error: { message: 'model is required', type: 'invalid_request_error', param: null, code: null } }]);
  });

  it('completions with include_usage: zero usage on each chunk, the real usage after the last', async () => {
    const r = await post('/v1/completions', { model: 'llama3.2:3b', prompt: 'x', stream: true, stream_options: { include_usage: true } });
    const data = events(r.text).slice(0, -1).map((d) => JSON.parse(d) as { choices: unknown[]; usage: { completion_tokens: number } });
    expect(data[0]!.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(data.at(-1)!.choices).toEqual([]);
    expect(data.at(-1)!.usage.completion_tokens).toBe(24);
  });
});
