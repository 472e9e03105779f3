// The agent step's loop, driven as a plain actor against the simulator scripted per conversation: two turns, parallel
// calls, invalid arguments fed back, a tool error fed back, the turn and tool-call bounds.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentStep, tool, type AgentStepSpec } from '../../src/steps/index.ts';
import type { SimMessage, SimReply, SimRequest } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

const answerSchema = z.object({ answer: z.string().min(1) });
type Answer = z.infer<typeof answerSchema>;
interface Ask {
  question: string;
}

/** Real executions of the tools, in order: what a crash test would count. */
let executions: string[] = [];

const add = tool({
  name: 'add',
  description: 'Adds two numbers.',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => {
    executions.push(`add(${a},${b})`);
    return String(a + b);
  },
});

const lookup = tool({
  name: 'lookup',
  description: 'Looks a word up.',
  input: z.object({ word: z.string().min(1) }),
  run: ({ word }, ctx) => {
    executions.push(`lookup(${word})`);
    if (word === 'missing') throw new Error(`no entry for ${word}`);
    return { word, meaning: `meaning of ${word}`, key: ctx.idempotencyKey };
  },
});

const call = (name: string, args: Record<string, unknown>) => ({ function: { name, arguments: args } });
const toolResults = (req: SimRequest | undefined): SimMessage[] => (req?.messages ?? []).filter((m) => m.role === 'tool');
const final = (answer: string): string => JSON.stringify({ answer });

async function run(script: (req: SimRequest) => string | SimReply, spec: Partial<AgentStepSpec<Ask, Answer>> = {}) {
  executions = [];
  const seen: SimRequest[] = [];
  const sim = await simulator({ script: { '*': (req) => (seen.push(req), script(req)) } });
  const step = agentStep<Ask, Answer>({
    id: 'solve',
    prompt: (input) => [{ role: 'user', content: input.question }],
    tools: [add, lookup],
    schema: answerSchema,
    ladder: ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'],
    maxRetries: 1,
    maxTurns: 4,
    maxToolCalls: 6,
    backoff: { baseMs: 5, capMs: 10 },
    ...spec,
    config: { timeoutMs: 2000, host: sim.url, ...spec.config },
  });
  const actor = createActor(step, { input: { question: 'What is 2 + 3?' } });
  const states: string[] = [];
  actor.subscribe((snapshot) => states.push(String(snapshot.value)));
  actor.start();
  const output = await toPromise(actor);
  return { output, seen, states, stats: sim.stats() };
}

describe('agent step: the tool loop', () => {
  it('calls a tool, reads its result and answers in a second turn', async () => {
    const { output, seen, states } = await run((req) =>
      toolResults(req).length === 0 ? { content: '', toolCalls: [call('add', { a: 2, b: 3 })] } : final(`it is ${toolResults(req)[0]?.content}`),
    );
    expect(output.status).toBe('done');
    expect(output.data).toEqual({ answer: 'it is 5' });
    expect(output.flags).toEqual([]);
    expect(output.transcript).toEqual({ turns: 2, toolCalls: 1, calls: [{ turn: 1, tool: 'add', ok: true, replayed: false }], compactions: [] });
    expect(executions).toEqual(['add(2,3)']);
    expect(states).toEqual(expect.arrayContaining(['thinking', 'acting']));
    // The second turn sees the assistant's call and the tool's answer, as Ollama wants them.
    const second = seen[1]?.messages ?? [];
    expect(second.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(second[1]?.tool_calls?.[0]?.function).toMatchObject({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(second[2]).toMatchObject({ role: 'tool', tool_name: 'add', content: '5' });
    expect(seen[0]?.tools?.map((t) => t.function.name)).toEqual(['add', 'lookup']);
  });

  it('runs the calls of one turn in parallel and returns their results in the order asked', async () => {
    const { output, seen } = await run((req) =>
      toolResults(req).length === 0
        ? { content: '', toolCalls: [call('lookup', { word: 'alpha' }), call('add', { a: 1, b: 1 }), call('lookup', { word: 'beta' })] }
        : final('three results'),
    );
    expect(output.status).toBe('done');
    expect(output.transcript.toolCalls).toBe(3);
    expect(new Set(executions)).toEqual(new Set(['lookup(alpha)', 'add(1,1)', 'lookup(beta)']));
    const results = toolResults(seen[1]);
    expect(results.map((m) => m.tool_name)).toEqual(['lookup', 'add', 'lookup']);
    expect(JSON.parse(results[0]?.content ?? '{}')).toMatchObject({ word: 'alpha', meaning: 'meaning of alpha' });
    expect(results[1]?.content).toBe('2');
    // Each call has its own idempotency key: step pass, turn and call index.
    const keys = [results[0], results[2]].map((m) => String(JSON.parse(m?.content ?? '{}').key));
    expect(keys[0]).toMatch(/\.t1\.c0$/);
    expect(keys[1]).toMatch(/\.t1\.c2$/);
  });

  it('feeds invalid tool arguments back to the model, which corrects them; the bad call never runs', async () => {
    const { output, seen } = await run((req) => {
      if (toolResults(req).length > 0) return final('done');
      const corrected = req.messages.some((m) => m.role === 'user' && m.content.includes('tool_calls.0.arguments.b'));
      return { content: '', toolCalls: [call('add', corrected ? { a: 2, b: 3 } : { a: 2, b: 'three' })] };
    });
    expect(output.status).toBe('done');
    expect(executions).toEqual(['add(2,3)']);
    expect(output.attempts.map((a) => a.error?.kind ?? 'ok')).toEqual(['invalid-output', 'ok', 'ok']);
    const feedback = seen[1]?.messages.at(-1)?.content ?? '';
    expect(feedback).toContain('Call the tools again with corrected arguments');
    // The feedback of a retry stays out of the transcript the next turn sees.
    expect(seen[2]?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('feeds a tool that throws back as an error result, not a crash', async () => {
    const { output, seen } = await run((req) => {
      const results = toolResults(req);
      if (results.length === 0) return { content: '', toolCalls: [call('lookup', { word: 'missing' })] };
      return final(results[0]?.content.startsWith('error:') ? 'no entry' : 'found');
    });
    expect(output.status).toBe('done');
    expect(output.data).toEqual({ answer: 'no entry' });
    expect(toolResults(seen[1])[0]?.content).toBe('error: no entry for missing');
    expect(output.transcript.calls).toEqual([{ turn: 1, tool: 'lookup', ok: false, replayed: false }]);
  });

  it('flags the step when the model still calls tools at the turn bound', async () => {
    const { output, stats } = await run(() => ({ content: '', toolCalls: [call('add', { a: 1, b: 2 })] }), { maxTurns: 3 });
    expect(output.status).toBe('flagged');
    expect(output.data).toBeNull();
    expect(output.transcript.turns).toBe(3);
    expect(executions).toHaveLength(2);
    expect(output.flags).toEqual(['solve: turn bound reached: 3 turn(s) taken and the model still calls tools']);
    expect(stats.completed).toBe(3);
  });

  it('flags the step when a turn asks for more tool calls than the bound allows', async () => {
    const { output } = await run(() => ({ content: '', toolCalls: [call('add', { a: 1, b: 2 }), call('add', { a: 3, b: 4 })] }), { maxToolCalls: 3 });
    expect(output.status).toBe('flagged');
    expect(output.transcript.toolCalls).toBe(2);
    expect(output.flags[0]).toMatch(/^solve: tool-call bound reached/);
  });

  it('escalates an answer that fails its schema on every retry, like a model step', async () => {
    const { output } = await run((req) => (req.model === 'qwen2.5-coder:7b' ? JSON.stringify({ answer: '' }) : final('from the large model')));
    expect(output.status).toBe('done');
    expect(output.result?.model).toBe('qwen2.5-coder:32b');
    expect(output.attempts.map((a) => a.model)).toEqual(['qwen2.5-coder:7b', 'qwen2.5-coder:7b', 'qwen2.5-coder:32b']);
  });
});
