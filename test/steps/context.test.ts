// A model step and a run against model windows: a prompt too long for the first model escalates to one with a larger
// window (nothing sent to the first), a cut prompt is never accepted silently, and a workflow caps num_ctx.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import { ContextWindows } from '../../src/llm/context/windows.ts';
import { agentStep, defineWorkflow, tool } from '../../src/steps/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { answerSchema, askStep, modulePath, oneStepMachine, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { z } from 'zod';
import type { ModelResult } from '../../src/llm/types.ts';
import type { Scorer } from '../../src/score/index.ts';

const simulator = useSimulators();
const long = 'the river station kept a ledger of water and weather '.repeat(400); // ~6,000 tokens

describe('model step: context windows', () => {
  it('escalates a prompt that does not fit the first model to the next one on the ladder, sending nothing to the first', async () => {
    const sim = await simulator({ models: [{ name: 'short:1b', contextLength: 4096 }, { name: 'long:7b', contextLength: 32768 }], script: { '*': () => validReply() } });
    const step = askStep({ ladder: ['short:1b', 'long:7b'], maxRetries: 2, config: { host: sim.url, timeoutMs: 5000 } });
    const output = await toPromise(createActor(step, { input: { question: long } }).start());
    expect(output.status).toBe('done');
    // Refused once (not retried as is), then answered by the model with the larger window.
    expect(output.attempts.map((a) => [a.model, a.error?.kind ?? 'ok'])).toEqual([['short:1b', 'context'], ['long:7b', 'ok']]);
    expect(output.attempts[1]?.context).toMatchObject({ numCtx: 8192, window: 32768 });
    expect(Object.keys(sim.stats().byModel)).toEqual(['long:7b']);
  });

  it('flags a reply whose prompt the host cut when the step says flag, and fails it otherwise', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const config = { host: sim.url, timeoutMs: 5000, context: { mode: 'off' as const, onTruncation: 'flag' as const } };
    const flagged = await toPromise(createActor(askStep({ ladder: ['qwen2.5-coder:7b'], config }), { input: { question: long + long } }).start());
    expect(flagged.status).toBe('done');
    expect(flagged.flags).toEqual([expect.stringMatching(/^ask: prompt truncated by the host \(the host evaluated \d+ tokens of a prompt estimated at \d+/)]);
    const failed = await toPromise(createActor(askStep({ ladder: ['qwen2.5-coder:7b'], maxRetries: 2, config: { ...config, context: { mode: 'off' } } }), { input: { question: long + long } }).start());
    expect(failed.status).toBe('flagged');
    expect(failed.attempts.map((a) => a.error?.kind)).toEqual(['context']);
    expect(failed.reasons[0]).toMatch(/ladder exhausted after 1 attempt\(s\) \(last: context: prompt truncated by the host/);
  });
});

describe('agent step: context windows', () => {
  it('ends with the flag of a turn accepted although the host cut its prompt (onTruncation: flag)', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const echo = tool({ name: 'echo', description: 'Echoes.', input: z.object({ text: z.string() }), run: ({ text }) => text });
    const agent = agentStep({
      id: 'reader',
      prompt: (input: { text: string }) => [{ role: 'user', content: input.text }],
      tools: [echo],
      schema: answerSchema,
      ladder: ['qwen2.5-coder:7b'],
      maxTurns: 2,
      maxToolCalls: 2,
      config: { host: sim.url, timeoutMs: 5000, context: { mode: 'off', onTruncation: 'flag' } },
    });
    const output = await toPromise(createActor(agent, { input: { text: long + long } }).start());
    expect(output.status).toBe('done');
    expect(output.data).toEqual({ answer: '42', confidence: 0.9 });
    expect(output.flags).toEqual([expect.stringMatching(/^reader: prompt truncated by the host/)]);
  });
});

describe('a run against model windows', () => {
  it('keeps every call within the workflow\'s num_ctx limit, and refuses what cannot fit it', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    await new Ollama({ host: sim.url }).chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'warm' }], options: { num_ctx: 32768 } });
    const machine = oneStepMachine({ ladder: ['qwen2.5-coder:7b'], config: { host: sim.url, timeoutMs: 5000 } });
    const workflow = defineWorkflow({ id: 'limited', input: z.object({ question: z.string() }), machine, context: { maxNumCtx: 8192 } });
    const hooks = { store: new MemoryStore(), workflow, modulePath, windows: new ContextWindows() };
    const small = await runWorkflow({ ...hooks, input: { question: 'six times seven?' } });
    expect(small.status).toBe('done');
    // Loaded with 32k, but the limit is 8k: the call asks for a size within it.
    expect((small.journal[0]?.result.metadata as { context?: { numCtx?: number; window?: number } }).context).toMatchObject({ numCtx: 4096, window: 8192 });
    const big = await runWorkflow({ ...hooks, input: { question: long + long } });
    expect(big.status).toBe('flagged');
    expect(big.flags[0]).toMatch(/context: prompt of ~\d+ tokens .* does not fit qwen2.5-coder:7b's window of 8192 tokens .*limit 8192/);
    expect(sim.log()).toHaveLength(2); // the warm-up and the small run: the big prompt was never sent
  });

  it('measures a judge\'s calls like the step\'s own: held to the workflow\'s limit, refused before sending when too long', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const judged: ModelResult[] = [];
    const scorer: Scorer = async (reply, options) => {
      const call = options?.call;
      if (!call) throw new Error('no call service');
      const config = { model: 'qwen2.5-coder:7b', host: sim.url, timeoutMs: 5000 };
      judged.push(await call([{ role: 'user', content: `Grade this answer: ${reply.content}` }], config));
      judged.push(await call([{ role: 'user', content: `Grade it against this text: ${long + long}` }], config));
      return { value: 1, reasons: [] };
    };
    const machine = oneStepMachine({ ladder: ['qwen2.5-coder:7b'], scorer, config: { host: sim.url, timeoutMs: 5000 } });
    const workflow = defineWorkflow({ id: 'judged', input: z.object({ question: z.string() }), machine, context: { maxNumCtx: 8192 } });
    const record = await runWorkflow({ store: new MemoryStore(), workflow, modulePath, windows: new ContextWindows(), input: { question: 'six times seven?' } });
    expect(record.status).toBe('done');
    expect(judged.map((r) => r.metadata.error?.kind ?? 'ok')).toEqual(['ok', 'context']);
    expect(judged[0]?.metadata.context).toMatchObject({ numCtx: 4096, window: 8192 });
    expect(judged[1]?.metadata.error?.message).toMatch(/does not fit qwen2.5-coder:7b's window of 8192 tokens .*limit 8192.*not sent/);
    expect(sim.log()).toHaveLength(2); // the step's call and the short judge call: the long one was never sent
  });

  it('refuses a workflow limit that is not a positive integer', () => {
    expect(() => defineWorkflow({ id: 'bad', input: z.object({ question: z.string() }), machine: oneStepMachine(), context: { maxNumCtx: 0 } })).toThrow(/context.maxNumCtx must be a positive integer/);
  });
});
