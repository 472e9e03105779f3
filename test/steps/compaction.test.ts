// An agent whose task needs far more tokens than its window: 300 turns of 2 KB tool results through an 8k window,
// compacted on purpose (journaled summaries), never truncated by the host; and the pieces compaction is made of.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createActor, toPromise } from 'xstate';
import { ContextWindows } from '../../src/llm/context/windows.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { agentStep, tool } from '../../src/steps/index.ts';
import { applySummary, clipToolResult, compactionSpan, resolvePolicy } from '../../src/steps/compaction.ts';
import { MemoryStore } from '../../src/store/index.ts';
import type { ChatMessage } from '../../src/llm/types.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import workflow, { script, simModels, valueOf } from '../runtime/fixtures/compaction-workflow.ts';

let sim: Simulator | undefined;
const savedHost = process.env.OLLAMA_HOST;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
});

const sum = (n: number): number => Array.from({ length: n }, (_, i) => valueOf(i)).reduce((a, b) => a + b, 0);

describe('agent step: compaction keeps a long task inside its window', () => {
  it('runs 300 turns of 2 KB tool results through an 8k window to the end: compacted, journaled, never truncated', async () => {
    const chunks = 300;
    sim = await startSimulator({ models: simModels, script: { '*': script(chunks) } });
    process.env.OLLAMA_HOST = sim.url;
    const store = new MemoryStore();
    const record = await runWorkflow({ store, workflow, modulePath: 'test/runtime/fixtures/compaction-workflow.ts', input: { chunks }, windows: new ContextWindows() });

    expect(record.status).toBe('done');
    // The total needs every chunk: a turn lost to a silent cut, or a summary that dropped one, would show here.
    expect(record.output).toMatchObject({ answer: { total: sum(chunks), chunks }, turns: chunks + 1, flags: [] });
    const stats = sim.stats();
    expect(stats.truncations).toBe(0);
    expect(stats.faults).toEqual({});

    const summaries = record.journal.filter((entry) => (entry.result.metadata as { context?: { purpose?: string } }).context?.purpose === 'compaction');
    const { compactions } = record.output as { compactions: number };
    // 300 × ~500 tokens through 8k: dozens of compactions, each one journaled call, each paid once.
    expect(compactions).toBeGreaterThan(15);
    expect(summaries).toHaveLength(compactions);
    expect(sim.log().filter((entry) => entry.endpoint === 'chat')).toHaveLength(record.journal.filter((e) => !e.result.model.startsWith('tool:')).length);
    // Every call told the host how much context it needs, and no prompt came near the window.
    const contexts = record.journal
      .filter((e) => !e.result.model.startsWith('tool:'))
      .map((e) => (e.result.metadata as { context?: { numCtx?: number; promptTokens?: number; truncated?: boolean } }).context);
    for (const context of contexts) {
      expect(context?.numCtx).toBeLessThanOrEqual(8192);
      expect(context?.truncated).toBeUndefined();
      expect((context?.promptTokens ?? 0) + 200).toBeLessThanOrEqual(context?.numCtx ?? 0);
    }
    // A small ladder of sizes: the model was loaded at most once per size (4k, then 8k), not once per prompt.
    expect(stats.loads).toBeLessThanOrEqual(2);
  }, 180_000);

  it('refuses a prompt that fits no model on the ladder before anything is sent', async () => {
    sim = await startSimulator({ models: [{ name: 'tiny:1b', contextLength: 2048 }, { name: 'small:3b', contextLength: 4096 }] });
    const echo = tool({ name: 'echo', description: 'Echoes.', input: z.object({ text: z.string() }), run: ({ text }) => text });
    const agent = agentStep({
      id: 'big',
      prompt: (input: { text: string }) => [{ role: 'user', content: input.text }],
      tools: [echo],
      ladder: ['tiny:1b', 'small:3b'],
      maxTurns: 3,
      maxToolCalls: 3,
      config: { host: sim.url },
    });
    const text = 'word '.repeat(6000);
    const output = await toPromise(createActor(agent, { input: { text } }).start());
    expect(output.status).toBe('flagged');
    expect(output.attempts.map((a) => [a.model, a.error?.kind])).toEqual([['tiny:1b', 'context'], ['small:3b', 'context']]);
    expect(output.attempts[1]?.error?.message).toMatch(/does not fit small:3b's window of 4096 tokens .*not sent/);
    // The hosts were asked about the models' windows, never sent the prompt.
    expect(sim.stats().byModel).toEqual({});
    expect(sim.stats().completed).toBe(0);
  });
});

describe('compaction pieces', () => {
  const turn = (i: number, size = 50): ChatMessage[] => [
    { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read', arguments: { i } } }] },
    { role: 'tool', content: `result ${i} ${'x '.repeat(size)}`, tool_name: 'read' },
  ];
  const head: ChatMessage[] = [{ role: 'system', content: 'sys' }, { role: 'user', content: 'task' }];

  it('replaces the turns between the task and the last turns, at turn boundaries, with one summary', () => {
    const messages = [...head, ...turn(1), ...turn(2), ...turn(3), ...turn(4), ...turn(5)];
    const span = compactionSpan(messages, 2, false, 2, 8192);
    expect(span).toEqual({ from: 2, to: 8 });
    const after = applySummary(messages, 2, false, span!, 'turns 1-3 read');
    expect(after.map((m) => m.role)).toEqual(['system', 'user', 'user', 'assistant', 'tool', 'assistant', 'tool']);
    expect(after[2]?.content).toContain('turns 1-3 read');
    // With a summary in place, the next compaction folds it in and keeps the same shape.
    const next = [...after, ...turn(6), ...turn(7)];
    const again = compactionSpan(next, 2, true, 2, 8192);
    expect(again).toEqual({ from: 3, to: 7 });
    expect(applySummary(next, 2, true, again!, 'turns 1-5').map((m) => m.role)).toEqual(['system', 'user', 'user', 'assistant', 'tool', 'assistant', 'tool']);
  });

  it('has nothing to compact when only the task and the last turns are there', () => {
    expect(compactionSpan([...head, ...turn(1), ...turn(2)], 2, false, 2, 8192)).toBeNull();
    // One turn alone would be replaced by one message: no room gained.
    expect(compactionSpan([...head, ...turn(1), ...turn(2), ...turn(3)].slice(0, 5), 2, false, 2, 8192)).toBeNull();
  });

  it('keeps fewer last turns when they would take too much of the window, and summarises at most ~60 % at a time', () => {
    const big = [...head, ...turn(1, 400), ...turn(2, 400), ...turn(3, 400), ...turn(4, 400), ...turn(5, 400), ...turn(6, 400)];
    const span = compactionSpan(big, 2, false, 3, 1000);
    expect(span?.from).toBe(2);
    // Turns of ~400 tokens in a 1,000-token window: one kept, at most ~600 tokens (one turn and a bit) summarised now.
    expect(span?.to).toBe(6);
  });

  it('clips a tool result past the limit, with a note telling the model', () => {
    const long = 'line of output\n'.repeat(2000);
    const clipped = clipToolResult(long, 500);
    expect(clipped.length).toBeLessThan(long.length / 4);
    expect(clipped).toMatch(/\[clipped: this result was about \d+ tokens/);
    expect(clipToolResult('short', 500)).toBe('short');
    expect(clipToolResult(long, null)).toBe(long);
  });

  it('refuses a policy that cannot work, naming the field', () => {
    expect(() => resolvePolicy('a', { compactAt: 1.5 })).toThrow(/agent step "a": context.compactAt must be between 0 and 1/);
    expect(() => resolvePolicy('a', { keepTurns: 0 })).toThrow(/context.keepTurns must be a positive integer/);
    expect(resolvePolicy('a')).toMatchObject({ window: null, compactAt: 0.75, keepTurns: 2, summaryTokens: 512 });
  });

});
