import { describe, it, expect } from 'vitest';
import { attachScore, scoreCalls, scoreResult } from '../../src/score/attach.ts';
import { rulesScorer } from '../../src/score/rules.ts';
import type { ModelResult } from '../../src/llm/types.ts';
import type { Scorer } from '../../src/score/types.ts';

function makeResult(): ModelResult<{ answer: number }> {
  return {
    content: '{"answer":42}',
    data: { answer: 42 },
    model: 'qwen2.5-coder:7b',
    tokensIn: 10,
    tokensOut: 5,
    durationMs: 12,
    ttftMs: 3,
    success: true,
    retries: 0,
    score: null,
    metadata: { host: 'http://127.0.0.1:11434', doneReason: 'stop', scoreReasons: ['old'] },
  };
}

describe('scoreResult', () => {
  it('returns a new result with the score and reasons, leaving the original untouched', async () => {
    const original = makeResult();
    const snapshot = structuredClone(original);
    const scored = await scoreResult(original, rulesScorer({ contains: ['answer', 'question'] }));
    expect(original).toEqual(snapshot);
    expect(scored).not.toBe(original);
    expect(scored.metadata).not.toBe(original.metadata);
    expect(scored.score).toBe(0.5);
    expect(scored.metadata.scoreReasons).toEqual(['missing "question"']);
    expect({ ...scored, score: null, metadata: { ...scored.metadata, scoreReasons: ['old'] } }).toEqual(original);
  });

  it('passes content, data, messages and signal to the scorer', async () => {
    const seen: unknown[] = [];
    const spy: Scorer = (input, options) => {
      seen.push(input, options);
      return { value: 1, reasons: [] };
    };
    const controller = new AbortController();
    const messages = [{ role: 'user' as const, content: 'what is the answer?' }];
    await scoreResult(makeResult(), spy, { messages, signal: controller.signal });
    expect(seen).toEqual([
      { content: '{"answer":42}', data: { answer: 42 }, messages },
      { signal: controller.signal },
    ]);
  });

  it('clamps the value a scorer returns', async () => {
    const wild: Scorer = async () => ({ value: 3, reasons: [] });
    expect((await scoreResult(makeResult(), wild)).score).toBe(1);
    const nan: Scorer = () => ({ value: Number.NaN, reasons: ['?'] });
    expect((await scoreResult(makeResult(), nan)).score).toBe(0);
  });

  it('keeps the result JSON-safe', async () => {
    const scored = await scoreResult(makeResult(), rulesScorer({}));
    expect(JSON.parse(JSON.stringify(scored))).toEqual(scored);
  });
});

describe('attachScore and scoreCalls', () => {
  it('attaches a score synchronously without copying its call into the result', () => {
    const judgeCall = { ...makeResult(), model: 'judge' };
    const scored = attachScore(makeResult(), { value: 0.7, reasons: ['ok'], call: judgeCall });
    expect(scored.score).toBe(0.7);
    expect(scored.metadata.scoreReasons).toEqual(['ok']);
    expect(Object.keys(scored)).not.toContain('call');
  });

  it('collects every judge call, including those inside composite parts', () => {
    const a = { ...makeResult(), model: 'judge-a' };
    const b = { ...makeResult(), model: 'judge-b' };
    const calls = scoreCalls({
      value: 0.5,
      reasons: [],
      call: a,
      parts: { x: { value: 1, reasons: [], call: b }, y: { value: 0, reasons: [] } },
    });
    expect(calls.map((call) => call.model)).toEqual(['judge-a', 'judge-b']);
  });
});
