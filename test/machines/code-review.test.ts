import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import codeReview, { specialistMachine, type ReviewOutput } from '../../machines/code-review.ts';
import { isJudgeRequest, sampleReviewScript } from '../../machines/samples/review-replies.ts';
import { checkMachine } from '../../src/check/index.ts';
import { HostPool } from '../../src/llm/pool.ts';
import { runWorkflow } from '../../src/runtime/index.ts';
import type { ScriptedReply } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';

const modulePath = join(import.meta.dirname, '../../machines/code-review.ts');
const diff = readFileSync(join(import.meta.dirname, '../../machines/samples/sample.diff'), 'utf8');

const runs = useModelRuns('harness-review-');

async function review(script: ScriptedReply) {
  const { store } = await runs.start({ seed: 7, numParallel: 3, latency: { ttftMs: 20, perTokenMs: 0 }, script: { '*': script } });
  return runWorkflow({ store, workflow: codeReview, modulePath, input: { diff }, limiter: new HostPool(3) });
}

describe('machines/code-review', () => {
  it('passes harness check (root machine and the specialist sub-agent)', () => {
    expect(checkMachine(codeReview.machine, { sampleInput: { diff: 'x' } }).filter((f) => f.severity === 'error')).toEqual([]);
    const specialistInput = { specialty: 'security', diff: 'x', background: null };
    expect(checkMachine(specialistMachine, { sampleInput: specialistInput }).filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('reviews in parallel, merges all three specialists, and escalates the verdict the judge grades low', async () => {
    // Each specialist's reply is held until all three asked: they overlap however busy the machine (a sequential
    // review would never release them, and the test would time out rather than pass).
    const script = sampleReviewScript();
    const asked = new Set<string>();
    let releaseAll = () => {};
    const allAsked = new Promise<void>((resolve) => {
      releaseAll = resolve;
    });
    const held: ScriptedReply = async (req) => {
      const specialty = /^Specialty: (\w+)/.exec(req.messages.findLast((m) => m.role === 'user')?.content ?? '')?.[1];
      if (specialty) {
        asked.add(specialty);
        if (asked.size === 3) releaseAll();
        await allAsked;
      }
      return script(req);
    };
    const record = await review(held);
    expect(record.status).toBe('done');
    const output = record.output as ReviewOutput;
    expect(new Set(output.findings.map((f) => f.specialty))).toEqual(new Set(['correctness', 'security', 'style']));
    expect(output.findings[0]?.severity).toBe('error');
    expect(Object.values(output.summaries).every((s) => s.length > 0)).toBe(true);
    expect(output.decision).toBe('request-changes');
    expect(output.mustFix.some((line) => line.includes('src/routes/users.ts:17'))).toBe(true);
    expect(output.score).toBe(1);
    expect(output.flags).toEqual([]);

    // The three specialists ran at the same time, and the verdict was escalated once: 7b judged low, 32b passed.
    expect(runs.sim?.stats().maxConcurrent).toBe(3);
    const verdictCalls = record.journal.filter((entry) => entry.step === 'verdict');
    expect(verdictCalls.map((entry) => entry.result.model)).toEqual(['qwen2.5-coder:7b', 'qwen2.5-coder:32b']);
    expect(verdictCalls.map((entry) => entry.result.score)).toEqual([0.1, 1]);
    // Each verdict was graded by one judge call, journaled on its own under the verdict's key.
    const judgeCalls = record.journal.filter((entry) => entry.step === 'verdict (judge)');
    expect(judgeCalls.map((entry) => entry.key.slice(0, entry.key.lastIndexOf('/judge.')))).toEqual(verdictCalls.map((entry) => entry.key));
    expect(record.journal.filter((entry) => entry.step === 'review')).toHaveLength(3);
  });

  it('flags the run when the judge rejects the verdict of every model on the ladder', async () => {
    const base = sampleReviewScript();
    const record = await review((req) => (isJudgeRequest(req) ? JSON.stringify({ score: 2, reasons: ['too vague'] }) : base(req)));
    expect(record.status).toBe('flagged');
    const output = record.output as ReviewOutput;
    expect(output.decision).toBeNull();
    expect(output.findings.length).toBeGreaterThan(0);
    expect(record.flags).toEqual([expect.stringMatching(/^verdict: ladder exhausted after 2 attempt\(s\) \(last: score 0(\.\d+)?\)$/)]);
  });
});
