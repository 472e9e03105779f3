// The model-call table from a real run's journal: attempts, validation issues, escalation to a bigger model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRows } from '../../src/inspect/index.ts';
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
    const record = await runWorkflow({ store, workflow, modulePath: '/calls.ts', input: { question: 'what?' }, pool: null });
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
    expect(rows.every((r) => r.actor === 'root' && r.tokensOut > 0 && r.durationMs >= 0)).toBe(true);
  });
});
