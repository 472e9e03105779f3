// The simulator's context window, as Ollama's: the num_ctx a request runs with (request, Modelfile, server default,
// capped by the trained length), the silent cut of a prompt too long for it, an honest prompt_eval_count, and counts.
import { describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import type { SimRequest } from '../../src/testing/index.ts';
import { chatPromptTokens, countTokens, runnerCut, textTokens } from '../../src/testing/simulator/tokens.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const model = 'qwen2.5-coder:7b';

/** A user/assistant exchange of `n` turns, each message ~`words` words. */
function conversation(n: number, words: number) {
  const messages: { role: 'system' | 'user' | 'assistant'; content: string }[] = [{ role: 'system', content: 'You are terse.' }];
  for (let i = 0; i < n; i++) {
    messages.push({ role: 'user', content: `question ${i}: ${'river station ledger '.repeat(words / 3)}` });
    messages.push({ role: 'assistant', content: `answer ${i}: ${'morning dusk water '.repeat(words / 3)}` });
  }
  messages.push({ role: 'user', content: 'And the last question?' });
  return messages;
}

describe('the simulator tokenizer', () => {
  it('counts like a BPE vocabulary: whole common words, pieces of rare ones, digits by vocabulary, punctuation merged', () => {
    expect(textTokens('the model and the tool')).toBe(5);
    expect(textTokens('internationalisation')).toBeGreaterThan(3);
    expect(textTokens('12345678', 'qwen')).toBe(8);
    expect(textTokens('12345678', 'llama')).toBe(3);
    expect(textTokens('{"a":1}')).toBeLessThan('{"a":1}'.length);
    expect(textTokens('模型在上下文窗口')).toBeGreaterThan(4);
    // The same text always counts the same; many texts sum.
    expect(countTokens([{ content: 'abc def' }, { content: 'abc def' }])).toBe(2 * textTokens('abc def'));
    expect(countTokens([{ content: '' }])).toBe(1);
  });

  it('cuts a runner prompt keeping num_keep at the front and freeing about half the window', () => {
    expect(runnerCut(100, 200, 4)).toBe(100);
    expect(runnerCut(5000, 4096, 4)).toBe(4096 - Math.floor((4096 - 4) / 2));
  });
});

describe('num_ctx and truncation', () => {
  it('runs with the server default (4096) and cuts the oldest messages silently, keeping the system prompt and the last message', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), 'ok') } });
    const messages = conversation(40, 60);
    const full = chatPromptTokens(messages);
    expect(full).toBeGreaterThan(4096);
    const reply = await new Ollama({ host: sim.url }).chat({ model, messages });
    expect(reply.prompt_eval_count).toBeLessThanOrEqual(4096);
    expect(reply.prompt_eval_count).toBeGreaterThan(4096 - 200);
    const sent = seen[0]!;
    expect(sent).toMatchObject({ numCtx: 4096, truncated: true, promptTokens: reply.prompt_eval_count });
    expect(sent.messages[0]).toEqual(messages[0]);
    expect(sent.messages.at(-1)).toEqual(messages.at(-1));
    expect(sent.messages[1]?.content).not.toBe(messages[1]?.content); // the oldest turns are gone
    expect(sent.messages.length).toBeLessThan(messages.length);
    expect(sim.stats().truncations).toBe(1);
    expect(sim.log()[0]).toMatchObject({ promptEvalCount: reply.prompt_eval_count, numCtx: 4096, truncated: true });
  });

  it('takes options.num_ctx, reloads the model for a new one, and cuts nothing that fits', async () => {
    const sim = await simulator();
    const ollama = new Ollama({ host: sim.url });
    const messages = conversation(40, 60);
    await ollama.chat({ model, messages: [{ role: 'user', content: 'hi' }] });
    const reply = await ollama.chat({ model, messages, options: { num_ctx: 16384 } });
    expect(reply.prompt_eval_count).toBe(chatPromptTokens(messages));
    expect(sim.stats()).toMatchObject({ truncations: 0, loads: 2 });
    expect((await ollama.ps()).models[0]).toMatchObject({ context_length: 16384 });
    await ollama.chat({ model, messages: [{ role: 'user', content: 'again' }], options: { num_ctx: 16384 } });
    expect(sim.stats().loads).toBe(2); // same num_ctx: no reload
  });

  it('caps num_ctx at the trained length, and takes a Modelfile num_ctx and a server default like Ollama', async () => {
    const sim = await simulator({ contextLength: 2048, models: [{ name: 'small:1b', contextLength: 8192 }, { name: 'house:1b', numCtx: 6144 }] });
    const ollama = new Ollama({ host: sim.url });
    await ollama.chat({ model: 'small:1b', messages: [{ role: 'user', content: 'hi' }], options: { num_ctx: 100_000 } });
    await ollama.chat({ model: 'house:1b', messages: [{ role: 'user', content: 'hi' }] });
    const loaded = Object.fromEntries((await ollama.ps()).models.map((m) => [m.name, (m as unknown as { context_length: number }).context_length]));
    expect(loaded).toEqual({ 'small:1b': 8192, 'house:1b': 6144 });
    expect((await ollama.show({ model: 'house:1b' })).parameters).toMatch(/^num_ctx\s+6144$/m);
    expect((await ollama.show({ model: 'small:1b' })).parameters).not.toMatch(/num_ctx/);
    // Neither set: the server default.
    await ollama.chat({ model: 'small:1b', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ollama.ps()).models.find((m) => m.name === 'small:1b')).toMatchObject({ context_length: 2048 });
  });

  it('gives a model created with PARAMETER num_ctx that context', async () => {
    const sim = await simulator();
    const ollama = new Ollama({ host: sim.url });
    await ollama.create({ model: 'long-coder', from: model, parameters: { num_ctx: 12288 } });
    await ollama.chat({ model: 'long-coder', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ollama.ps()).models[0]).toMatchObject({ context_length: 12288 });
  });

  it('cuts a last message too long on its own in the runner: about half the window is evaluated', async () => {
    const sim = await simulator();
    const content = 'ledger '.repeat(6000);
    const reply = await new Ollama({ host: sim.url }).chat({ model, messages: [{ role: 'user', content }] });
    expect(reply.prompt_eval_count).toBe(runnerCut(chatPromptTokens([{ role: 'user', content }]), 4096, 4));
    expect(sim.stats().truncations).toBe(1);
  });

  it('cuts a raw prompt from the front, keeping num_keep tokens of its start', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), 'ok') } });
    const prompt = `BEGIN ${'filler words here '.repeat(3000)}END`;
    const reply = await new Ollama({ host: sim.url }).generate({ model, prompt, raw: true, options: { num_keep: 8 } });
    expect(reply.prompt_eval_count).toBe(runnerCut(textTokens(prompt), 4096, 8));
    expect(seen[0]?.prompt?.startsWith('BEGIN')).toBe(true);
    expect(seen[0]?.prompt?.endsWith('END')).toBe(true);
    expect(seen[0]?.prompt?.length).toBeLessThan(prompt.length);
    expect(sim.stats().truncations).toBe(1);
  });

  it('counts images and tools into the prompt', async () => {
    const sim = await simulator({ models: ['llava:7b', model] });
    const ollama = new Ollama({ host: sim.url });
    const plain = await ollama.chat({ model: 'llava:7b', messages: [{ role: 'user', content: 'what is this?' }] });
    const seeing = await ollama.chat({ model: 'llava:7b', messages: [{ role: 'user', content: 'what is this?', images: ['aGVsbG8='] }] });
    expect(seeing.prompt_eval_count - plain.prompt_eval_count).toBe(768);
    const tool = { type: 'function', function: { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };
    const bare = await ollama.chat({ model, messages: [{ role: 'user', content: 'time?' }] });
    const offered = await ollama.chat({ model, messages: [{ role: 'user', content: 'time?' }], tools: [tool] });
    expect(offered.prompt_eval_count - bare.prompt_eval_count).toBeGreaterThan(60);
  });

  it('refuses a contextLength that is not a positive integer', async () => {
    await expect(simulator({ contextLength: 0 })).rejects.toThrow(/contextLength must be a positive integer/);
    await expect(simulator({ models: [{ name: 'x', numCtx: 1.5 }] })).rejects.toThrow(/numCtx must be a positive integer/);
  });
});
