// The prompt measured before it is sent: the estimate, the model's window, num_ctx from a ladder of sizes, a refusal
// for what cannot fit (kind `context`, nothing sent), and the reply's check for a prompt the host cut.
import { describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import { callModel } from '../../src/llm/client.ts';
import { chooseNumCtx, ContextWindows } from '../../src/llm/context/windows.ts';
import { estimatePromptTokens, estimateTextTokens } from '../../src/llm/context/estimate.ts';
import { isRetryable } from '../../src/llm/retryable.ts';
import type { ChatMessage } from '../../src/llm/types.ts';
import { chatPromptTokens } from '../../src/testing/simulator/tokens.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const model = 'qwen2.5-coder:7b';

/** About `tokens` tokens of plain prose (the phrase is 15 of the simulator's tokens). */
const prose = (tokens: number): string => 'the river station kept a ledger of water and weather '.repeat(Math.ceil(tokens / 15));
const ask = (content: string): ChatMessage[] => [{ role: 'user', content }];

describe('the estimate', () => {
  it('is within its uncalibrated margin (20 %) of the host\'s count for prose, code, JSON and other scripts', () => {
    const samples: ChatMessage[][] = [
      ask(prose(500)),
      ask('export function plan(input: { text: string }): Plan {\n  const items = input.text.split("\\n").map((l) => l.trim());\n  return { steps: items };\n}\n'.repeat(20)),
      ask(JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], price: i * 1.25 })))),
      ask('Die Überprüfung der Eingabedaten ergab, dass mehrere Einträge unvollständig waren. '.repeat(20)),
    ];
    for (const messages of samples) {
      const truth = chatPromptTokens(messages);
      expect(Math.abs(estimatePromptTokens(messages) - truth) / truth).toBeLessThan(0.2);
    }
    expect(estimateTextTokens('')).toBe(0);
    const message: ChatMessage = { role: 'user', content: prose(100) };
    expect(estimatePromptTokens([message, message])).toBeGreaterThan(estimatePromptTokens([message]));
  });
});

describe('num_ctx from a ladder', () => {
  const ladder = [4096, 8192, 16384, 32768];
  it('takes the smallest size that holds the need, the loaded size when it fits, never past the cap', () => {
    expect(chooseNumCtx(1000, 32768, ladder, null)).toBe(4096);
    expect(chooseNumCtx(5000, 32768, ladder, null)).toBe(8192);
    expect(chooseNumCtx(5000, 32768, ladder, 16384)).toBe(16384); // loaded: no reload
    expect(chooseNumCtx(5000, 32768, ladder, 4096)).toBe(8192); // loaded too small
    expect(chooseNumCtx(5000, 6000, ladder, null)).toBe(6000);
    expect(chooseNumCtx(7000, 6000, ladder, null)).toBeNull();
    expect(chooseNumCtx(40_000, Infinity, ladder, null)).toBe(40_960);
  });
});

describe('a call measured before it is sent', () => {
  it('sets num_ctx for prompt and reply, and learns how the host counts', async () => {
    const sim = await simulator();
    const windows = new ContextWindows();
    const small = await callModel(ask('Name a colour.'), { host: sim.url }, { windows });
    expect(small.metadata.context).toMatchObject({ numCtx: 4096, window: 32768, promptTokens: small.tokensIn });
    const big = await callModel(ask(prose(6000)), { host: sim.url }, { windows });
    expect(big.success).toBe(true);
    expect(big.metadata.context?.numCtx).toBe(8192);
    expect(sim.log().map((entry) => entry.numCtx)).toEqual([4096, 8192]);
    expect(sim.stats().truncations).toBe(0);
    for (let i = 0; i < 3; i++) await callModel(ask(prose(1000 + i * 300)), { host: sim.url }, { windows });
    const [status] = windows.status();
    expect(status).toMatchObject({ model: `${model}`, trained: 32768, samples: 5 });
    // Learned: the next estimate is within a few percent of what the host counts.
    const next = await callModel(ask(prose(2500)), { host: sim.url }, { windows });
    expect(Math.abs((next.metadata.context?.estimate ?? 0) - next.tokensIn) / next.tokensIn).toBeLessThan(0.05);
  });

  it('keeps the size the model is loaded with when the prompt fits it: no reload', async () => {
    const sim = await simulator();
    await new Ollama({ host: sim.url }).chat({ model, messages: ask('warm up'), options: { num_ctx: 16384 } });
    const result = await callModel(ask('Name a colour.'), { host: sim.url }, { windows: new ContextWindows() });
    expect(result.metadata.context?.numCtx).toBe(16384);
    expect(sim.stats().loads).toBe(1);
  });

  it('refuses a prompt longer than the model\'s window before anything is sent: kind context, not retryable', async () => {
    const sim = await simulator({ models: [{ name: 'short:1b', contextLength: 4096 }] });
    const result = await callModel(ask(prose(6000)), { model: 'short:1b', host: sim.url }, { windows: new ContextWindows() });
    expect(result.success).toBe(false);
    expect(result.metadata.error).toMatchObject({ kind: 'context' });
    expect(result.metadata.error?.message).toMatch(/^prompt of ~\d+ tokens \(\+\d+ margin, \+1024 for the reply\) does not fit short:1b's window of 4096 tokens on .* \(trained for 4096\): not sent$/);
    expect(result.metadata.context).toMatchObject({ window: 4096 });
    expect(result.tokensIn).toBe(0);
    expect(isRetryable('context')).toBe(false);
    expect(sim.stats().byModel).toEqual({});
  });

  it('refuses past the workflow\'s limit and past an explicit options.num_ctx', async () => {
    const sim = await simulator();
    const windows = new ContextWindows();
    const limited = await callModel(ask(prose(6000)), { host: sim.url, context: { maxNumCtx: 4096 } }, { windows });
    expect(limited.metadata.error?.message).toMatch(/limit 4096/);
    const fixed = await callModel(ask(prose(3000)), { host: sim.url, options: { num_ctx: 2048 } }, { windows });
    expect(fixed.metadata.error?.message).toMatch(/options.num_ctx 2048/);
    const fits = await callModel(ask('Name a colour.'), { host: sim.url, options: { num_ctx: 2048 } }, { windows });
    expect(fits.metadata.context?.numCtx).toBe(2048);
    expect(sim.log().map((entry) => entry.numCtx)).toEqual([2048]);
  });

  it('catches a prompt the host cut (num_ctx left to the server): fails with kind context, or is flagged', async () => {
    const sim = await simulator();
    const windows = new ContextWindows();
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...Array.from({ length: 30 }, (_, i): ChatMessage => ({ role: i % 2 ? 'assistant' : 'user', content: prose(300) })), { role: 'user', content: 'so?' }];
    const cut = await callModel(messages, { host: sim.url, context: { mode: 'off' } }, { windows });
    expect(sim.stats().truncations).toBe(1);
    expect(cut.success).toBe(false);
    expect(cut.metadata.error?.kind).toBe('context');
    expect(cut.metadata.error?.message).toMatch(/prompt truncated by the host: the host evaluated \d+ tokens of a prompt estimated at \d+/);
    expect(cut.metadata.context).toMatchObject({ truncated: true });
    expect(cut.metadata.context?.numCtx).toBeUndefined();
    const flagged = await callModel(messages, { host: sim.url, context: { mode: 'off', onTruncation: 'flag' } }, { windows });
    expect(flagged.success).toBe(true);
    expect(flagged.metadata.context?.truncated).toBe(true);
  });

  it('catches a small cut when the window the model runs with is known (its Modelfile num_ctx)', async () => {
    const sim = await simulator();
    await new Ollama({ host: sim.url }).create({ model: 'house', from: model, parameters: { num_ctx: 4096 } });
    // ~5,700 tokens into 4,096: the cut drops a quarter, too little to tell from the count alone.
    const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...Array.from({ length: 20 }, (_, i): ChatMessage => ({ role: i % 2 ? 'assistant' : 'user', content: prose(280) })), { role: 'user', content: 'so?' }];
    const cut = await callModel(messages, { model: 'house', host: sim.url, context: { mode: 'off' } }, { windows: new ContextWindows() });
    expect(sim.stats().truncations).toBe(1);
    expect(cut.tokensIn).toBeGreaterThan(0.7 * (cut.metadata.context?.estimate ?? 0));
    expect(cut.metadata.error?.kind).toBe('context');
    expect(cut.metadata.context).toMatchObject({ truncated: true, window: 4096 });
  });

  it('asks the host again once the window is old, and learns anew when the model changed', async () => {
    const sim = await simulator();
    const ollama = new Ollama({ host: sim.url });
    await ollama.create({ model: 'house', from: model, parameters: { num_ctx: 8192 } });
    let now = 0;
    const windows = new ContextWindows({ refreshMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) await callModel(ask(prose(300 + i * 100)), { model: 'house', host: sim.url }, { windows });
    expect(windows.status()[0]).toMatchObject({ modelfileNumCtx: 8192, samples: 3 });
    await ollama.create({ model: 'house', from: model, parameters: { num_ctx: 16384 } });
    now = 5000;
    await windows.window(sim.url, 'house'); // stale: refreshed in the background
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(windows.status()[0]).toMatchObject({ modelfileNumCtx: 16384, samples: 0 });
  });
});
