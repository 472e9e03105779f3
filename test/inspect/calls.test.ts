// The model-call table from a real run's journal: attempts, validation issues, escalation to a bigger model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPlace, callRows } from '../../src/inspect/index.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { oneStepWorkflow } from '../steps/fixtures.ts';

describe('callRows', () => {
  let sim: Simulator;
  let dir: string;

  beforeAll(async () => {
    // The small model never gives valid JSON; the big one does: two failed attempts, then an escalation.
    sim = await startSimulator({
      seed: 2,
      script: {
        'qwen2.5-coder:7b': () => 'I think the answer is 42.',
        'qwen2.5-coder:32b': () => JSON.stringify({ answer: '42', confidence: 0.9 }),
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-calls-'));
  });

  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each attempt with its issues, and the call that escalated', async () => {
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 5000 } });
    const store = new FileStore({ dir });
    const record = await runWorkflow({ store, workflow, modulePath: '/calls.ts', input: { question: 'what?' }, limiter: null });
    expect(record.status).toBe('done');

    const rows = callRows(record.journal);
    expect(rows.map((r) => [r.step, r.model, r.attempt, r.success, r.escalatedFrom])).toEqual([
      ['ask', 'qwen2.5-coder:7b', 1, false, null],
      ['ask', 'qwen2.5-coder:7b', 2, false, null],
      ['ask', 'qwen2.5-coder:32b', 1, true, 'qwen2.5-coder:7b'],
    ]);
    expect(rows[0]?.errorKind).toBe('invalid-output');
    expect(rows[0]?.issues.length).toBeGreaterThan(0);
    expect(rows[2]?.issues).toEqual([]);
    // The step is a child machine of the root: the root invoked it, and every call belongs to its one pass.
    expect(rows.every((r) => r.actor === 'root' && r.label === 'ask' && r.pass === 1 && r.tokensOut > 0 && r.durationMs >= 0)).toBe(true);
  });
});

describe('callPlace', () => {
  const entry = (key: string, step: string) => ({ key, step });

  it('reads where a call ran from its journal key: the invoking machine, the step machine, pass, rung and attempt', () => {
    expect(callPlace(entry('root/ask/0.ask.attempting:6ca73ff1.m1.a2', 'ask'))).toEqual({
      actor: 'root', stepActor: 'root/ask', pass: '6ca73ff1', rung: 1, attempt: 2, label: 'ask',
    });
    // A sub-agent's step, and a fan-out whose items are sub-agents: the item says where it is, the fan-out does not.
    expect(callPlace(entry('root/security/review/0.review.attempting:ab12.m0.a1', 'review'))).toMatchObject({ actor: 'root/security', label: 'security/review' });
    expect(callPlace(entry('root/work/work.2/implement/0.implement.attempting:ab12.m0.a1', 'implement'))).toMatchObject({
      actor: 'root/work/work.2', stepActor: 'root/work/work.2/implement', label: 'work[2]/implement',
    });
    // A fan-out whose items are the steps themselves: each item by its index, whatever the fan-out's invoke is called
    // (XState's generated id, for an invoke in a machine not made by defineWorkflow).
    expect(callPlace(entry('root/work/work.1/0.implement.attempting:ab12.m0.a1', 'implement'))).toMatchObject({ actor: 'root/work', label: 'work[1]/implement' });
    expect(callPlace(entry('root/0.flow.expanding/fan.0/attempt:ab12.m0.a1', 'expand'))).toMatchObject({ actor: 'root/0.flow.expanding', label: 'fan[0]/expand' });
    expect(callPlace(entry('root/0.flow.expanding/fan.2/attempt:ab12.m0.a1', 'expand'))).toMatchObject({ label: 'fan[2]/expand' });
  });

  it('still reads first-release keys, where the call was the workflow’s own child, and gives up on other shapes', () => {
    expect(callPlace(entry('root/0.review-note.drafting.attempting:draft.p0.m1.a2', 'draft'))).toEqual({
      actor: 'root', stepActor: 'root', pass: '0', rung: 1, attempt: 2, label: 'draft',
    });
    expect(callPlace(entry('something else', 'x'))).toBeNull();
  });

  it('numbers the passes of a step re-entered by a loop, and does not call a new pass an escalation', () => {
    const call = (key: string, model: string) => ({
      key, requestHash: 'h', step: 'ask', at: new Date(0).toISOString(),
      result: { content: '', model, tokensIn: 1, tokensOut: 1, durationMs: 1, ttftMs: null, success: true, retries: 0, score: null, metadata: { host: 'h' } },
    });
    const rows = callRows([
      call('root/ask/0.ask.attempting:aaaa.m0.a1', 'small'),
      call('root/ask/0.ask.attempting:aaaa.m1.a1', 'large'),
      call('root/ask/0.ask.attempting:bbbb.m0.a1', 'small'),
    ]);
    expect(rows.map((r) => [r.pass, r.attempt, r.escalatedFrom])).toEqual([[1, 1, null], [1, 1, 'small'], [2, 1, null]]);
  });
});
