// A tool call's deadline: a tool that ignores its signal still ends at the deadline and the model reads why; the
// signal fires with a TimeoutError; an agent step's toolTimeoutMs overrides the tool's own; bad deadlines are refused.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentStep, toolCall, tool, type AgentStepSpec, type Tool } from '../../src/steps/index.ts';
import type { SimMessage, SimRequest } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

/** Never settles and never looks at its signal: only the deadline can end a call to it. */
const stuck = tool({
  name: 'stuck',
  description: 'Hangs.',
  input: z.object({}),
  timeoutMs: 150,
  run: () => new Promise<string>(() => undefined),
});

const toolResults = (req: SimRequest | undefined): SimMessage[] => (req?.messages ?? []).filter((m) => m.role === 'tool');

/** An agent whose first turn calls `used` once and whose second turn answers with what the tool returned. */
async function agentWith(used: Tool<unknown, unknown>, spec: Partial<AgentStepSpec<{ q: string }, { answer: string }>> = {}) {
  const seen: SimRequest[] = [];
  const sim = await simulator({
    script: {
      '*': (req) => {
        seen.push(req);
        const results = toolResults(req);
        return results.length === 0 ? { content: '', toolCalls: [{ function: { name: used.name, arguments: {} } }] } : JSON.stringify({ answer: results[0]?.content ?? '' });
      },
    },
  });
  const step = agentStep<{ q: string }, { answer: string }>({
    id: 'agent',
    prompt: (input) => [{ role: 'user', content: input.q }],
    tools: [used],
    schema: z.object({ answer: z.string() }),
    maxTurns: 3,
    maxToolCalls: 3,
    ...spec,
    config: { timeoutMs: 5000, host: sim.url },
  });
  const actor = createActor(step, { input: { q: 'go' } });
  actor.start();
  return { output: await toPromise(actor), seen };
}

describe('tool call deadline', () => {
  it('ends a call whose tool ignores its signal, and tells the model it timed out', async () => {
    const { output } = await agentWith(stuck);
    expect(output.status).toBe('done');
    expect(output.data).toEqual({ answer: 'error: tool stuck timed out after 150 ms' });
    expect(output.transcript.calls).toEqual([{ turn: 1, tool: 'stuck', ok: false, replayed: false }]);
  });

  it('fires the tool\'s signal at the deadline with a TimeoutError', async () => {
    let reason: unknown;
    const watcher = tool({
      name: 'watcher',
      description: 'Waits for its signal.',
      input: z.object({}),
      timeoutMs: 100,
      run: (_args, { signal }) =>
        new Promise<string>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(new Error('gave up'));
          });
        }),
    });
    const actor = createActor(toolCall(watcher), { input: { step: 's', callKey: 'p.t1.c0', arguments: {}, input: null } });
    actor.start();
    await expect(toPromise(actor)).resolves.toMatchObject({ ok: false, content: 'error: tool watcher timed out after 100 ms' });
    expect(reason).toMatchObject({ name: 'TimeoutError', message: 'tool watcher timed out after 100 ms' });
  });

  it('lets an agent step override every tool\'s deadline', async () => {
    const { output } = await agentWith(stuck, { toolTimeoutMs: 60 });
    expect(output.data).toEqual({ answer: 'error: tool stuck timed out after 60 ms' });
  });

  it('keeps a result that arrives before the deadline', async () => {
    const quick = tool({ name: 'quick', description: 'Answers.', input: z.object({}), timeoutMs: 5000, run: async () => 'fine' });
    const { output } = await agentWith(quick);
    expect(output.data).toEqual({ answer: 'fine' });
  });

  it('refuses a deadline a timer cannot keep', () => {
    const make = (timeoutMs: number) => () => tool({ name: 'bad', description: 'x', input: z.object({}), timeoutMs, run: () => 'x' });
    for (const ms of [0, -5, 1.5, Number.NaN, 2 ** 31]) expect(make(ms)).toThrow(/timeoutMs must be a whole number of ms/);
    expect(() => agentStep({ id: 'a', prompt: () => [], tools: [], maxTurns: 1, maxToolCalls: 0, toolTimeoutMs: 0 })).toThrow(/agent step "a": timeoutMs/);
  });
});
