import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { Ollama } from 'ollama';
import { z } from 'zod';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { chatPromptTokens } from '../../src/testing/simulator/tokens.ts';
import { useSimulators } from '../helpers/simulators.ts';

let sim: Simulator;
let ollama: Ollama;
const ask = [{ role: 'user', content: 'Write a haiku about queues.' }];

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  ollama = new Ollama({ host: sim.url });
});
afterAll(async () => {
  await sim.close();
});
// A test that needs its own scripted server starts it here; the shared one above lives for the whole file.
const simulator = useSimulators();

function expectNsCounters(r: Record<string, unknown>): void {
  for (const key of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration', 'prompt_eval_count', 'eval_count']) {
    expect(Number.isInteger(r[key]), key).toBe(true);
    expect(r[key] as number, key).toBeGreaterThan(0);
  }
  expect(r.total_duration as number).toBeGreaterThanOrEqual(r.load_duration as number);
}

describe('the real ollama client against the simulator', () => {
  it('chat, not streaming: one object with the whole message and ns counters', async () => {
    const r = await ollama.chat({ model: 'qwen2.5-coder:7b', messages: ask });
    expect(r.model).toBe('qwen2.5-coder:7b');
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe('stop');
    expect(r.message.role).toBe('assistant');
    expect(r.message.content.split(' ')).toHaveLength(24);
    expect(new Date(r.created_at).toISOString()).toBe(r.created_at);
    expectNsCounters(r as unknown as Record<string, unknown>);
    expect(r.eval_count).toBe(24);
    // The simulator's tokenizer counts the message and the chat template around it.
    expect(r.prompt_eval_count).toBe(chatPromptTokens(ask));
  });

  it('chat, streaming: eval_count equals the number of streamed pieces, which join to the same text', async () => {
    const stream = await ollama.chat({ model: 'qwen2.5-coder:7b', messages: ask, stream: true });
    const pieces: string[] = [];
    let last;
    for await (const part of stream) {
      if (part.done) last = part;
      else pieces.push(part.message.content);
    }
    expect(last?.message.content).toBe('');
    expect(last?.eval_count).toBe(pieces.length);
    expectNsCounters(last as unknown as Record<string, unknown>);
    const whole = await ollama.chat({ model: 'qwen2.5-coder:7b', messages: ask });
    expect(pieces.join('')).toBe(whole.message.content);
  });

  it('chat with a JSON Schema format: content passes the zod schema', async () => {
    const schema = z.object({ title: z.string(), lines: z.array(z.string()).length(3), mood: z.enum(['calm', 'busy']) });
    const r = await ollama.chat({ model: 'llama3.2:3b', messages: ask, format: z.toJSONSchema(schema) });
    expect(schema.safeParse(JSON.parse(r.message.content)).success).toBe(true);
  });

  it('chat with format "json": some JSON object', async () => {
    const r = await ollama.chat({ model: 'llama3.2:3b', messages: ask, format: 'json' });
    const parsed: unknown = JSON.parse(r.message.content);
    expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
  });

  it('generate: `response` instead of `message`, streaming and not', async () => {
    const r = await ollama.generate({ model: 'llama3.2:3b', prompt: 'Say something.' });
    expect(r.response?.length).toBeGreaterThan(0);
    expect(r.done_reason).toBe('stop');
    expect(Array.isArray(r.context)).toBe(true);
    expectNsCounters(r as unknown as Record<string, unknown>);
    const stream = await ollama.generate({ model: 'llama3.2:3b', prompt: 'Say something.', stream: true });
    let text = '';
    let count = 0;
    for await (const part of stream) {
      text += part.response ?? '';
      if (!part.done) count++;
      else expect(part.eval_count).toBe(count);
    }
    expect(text).toBe(r.response);
  });

  it('num_predict cuts the reply with done_reason "length"', async () => {
    const r = await ollama.chat({ model: 'qwen2.5-coder:7b', messages: ask, options: { num_predict: 5 } });
    expect(r.done_reason).toBe('length');
    expect(r.eval_count).toBe(5);
  });

  it('list (tags) and show', async () => {
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toEqual([
      'qwen2.5-coder:7b',
      'qwen2.5-coder:14b',
      'qwen2.5-coder:32b',
      'llama3.2:3b',
      'nomic-embed-text:latest',
    ]);
    const first = tags.models[0]!;
    expect(first.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(first.size).toBeGreaterThan(0);
    expect(first.details).toMatchObject({ format: 'gguf', family: 'qwen2', parameter_size: '7B', quantization_level: 'Q4_K_M' });
    const show = await ollama.show({ model: 'qwen2.5-coder:14b' });
    expect(show.capabilities).toEqual(['completion', 'tools', 'insert']);
    expect(show.details.parameter_size).toBe('14B');
    expect(show.modelfile).toContain('# Modelfile generated by "ollama show"');
    expect(show.template).toContain('.Messages');
    const embedShow = await ollama.show({ model: 'nomic-embed-text' });
    expect(embedShow.capabilities).toEqual(['embedding']);
  });

  it('ps lists the models loaded by earlier requests, with an expiry in the future', async () => {
    await ollama.chat({ model: 'qwen2.5-coder:32b', messages: ask });
    const ps = await ollama.ps();
    const entry = ps.models.find((m) => m.name === 'qwen2.5-coder:32b');
    expect(entry).toBeDefined();
    expect(new Date(entry!.expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(entry!.size_vram).toBe(entry!.size);
  });

  it('keep_alive 0 unloads the model after the request', async () => {
    await ollama.chat({ model: 'qwen2.5-coder:14b', messages: ask, keep_alive: 0 });
    const ps = await ollama.ps();
    expect(ps.models.some((m) => m.name === 'qwen2.5-coder:14b')).toBe(false);
  });

  it('embed: deterministic unit vectors, similar for texts sharing words', async () => {
    const r = await ollama.embed({ model: 'nomic-embed-text', input: ['the red fox', 'the red fox jumps', 'quantum ledger'] });
    expect(r.model).toBe('nomic-embed-text');
    expect(r.embeddings).toHaveLength(3);
    for (const v of r.embeddings) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    const [fox, foxJumps, ledger] = r.embeddings as [number[], number[], number[]];
    expect(cos(fox, foxJumps)).toBeGreaterThan(cos(fox, ledger));
    expect(r.prompt_eval_count).toBeGreaterThan(0);
    const again = await ollama.embed({ model: 'nomic-embed-text', input: 'the red fox' });
    expect(again.embeddings[0]).toEqual(fox);
  });

  it('version', async () => {
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('unknown model: ResponseError 404 with Ollama\'s exact message', async () => {
    const error = await ollama.chat({ model: 'nope:1b', messages: ask }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ResponseError', status_code: 404, message: "model 'nope:1b' not found" });
    const show = await ollama.show({ model: 'nope:1b' }).catch((e: unknown) => e);
    expect(show).toMatchObject({ name: 'ResponseError', status_code: 404, message: "model 'nope:1b' not found" });
  });

  it('a model name without tag matches its :latest entry', async () => {
    const r = await ollama.chat({ model: 'nomic-embed-text:latest', messages: ask }).catch((e: unknown) => e);
    expect(r).toMatchObject({ status_code: 400, message: '"nomic-embed-text:latest" does not support chat' });
  });

  it('scripted tool calls arrive as message.tool_calls', async () => {
    const scripted = await simulator({
      script: { '*': () => ({ content: '', toolCalls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] }) },
    });
    const client = new Ollama({ host: scripted.url });
    const r = await client.chat({ model: 'llama3.2:3b', messages: ask });
    // Like the real server, every call carries an id and its index.
    const wire = [{ id: expect.stringMatching(/^call_[a-z0-9]{8}$/), function: { index: 0, name: 'lookup', arguments: { q: 'x' } } }];
    expect(r.message.tool_calls).toEqual(wire);
    const stream = await client.chat({ model: 'llama3.2:3b', messages: ask, stream: true });
    const calls = [];
    for await (const part of stream) calls.push(...(part.message.tool_calls ?? []));
    expect(calls).toEqual(wire);
  });
});
