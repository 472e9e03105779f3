// The model step's guard paths, driven end to end against the Ollama simulator: accept, feedback, backoff, escalate, flag.
import { afterAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import type { Scorer } from '../../src/score/types.ts';
import type { ModelStepSpec } from '../../src/steps/index.ts';
import type { FaultKind, SimRequest, SimulatorOptions } from '../../src/testing/index.ts';
import {
  answerSchema,
  contextOf,
  invalidReply,
  large,
  modulePath,
  oneStepWorkflow,
  removeTempDirs,
  small,
  tempStore,
  validReply,
  type OneStepContext,
} from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

async function run(simOptions: SimulatorOptions, spec: Partial<ModelStepSpec<OneStepContext>> = {}, budget?: { tokens?: number; wallMs?: number }) {
  const sim = await simulator(simOptions);
  const workflow = oneStepWorkflow({ ...spec, config: { timeoutMs: 2000, ...spec.config, host: sim.url } });
  const record = await runWorkflow({
    store: tempStore(),
    workflow,
    modulePath,
    input: { question: 'What is six times seven?' },
    pool: null,
    ...(budget ? { budget } : {}),
  });
  const step = contextOf(record).steps.ask;
  if (!step) throw new Error('the run never entered the step');
  return { record, step, stats: sim.stats() };
}

const statesOf = (record: { timeline: { state?: string[] }[] }) => record.timeline.flatMap((t) => t.state ?? []);

describe('model step: accepted', () => {
  it('accepts a valid first reply after one attempt', async () => {
    const { record, step, stats } = await run({ script: { '*': () => validReply('42', 0.9) } });
    expect(record.status).toBe('done');
    expect(step.status).toBe('done');
    expect(step.attempts).toHaveLength(1);
    expect(step.result?.data).toEqual({ answer: '42', confidence: 0.9 });
    expect(record.output).toEqual({ answer: { answer: '42', confidence: 0.9 }, flags: [] });
    expect(record.flags).toEqual([]);
    expect(stats.completed).toBe(1);
    expect(record.journal).toHaveLength(1);
    expect(record.usage.calls).toBe(1);
  });
});

describe('model step: invalid output', () => {
  it('retries with the failed reply and the exact validation issue, then accepts', async () => {
    const seen: SimRequest[] = [];
    const { record, step } = await run({
      script: {
        '*': (req) => {
          seen.push(req);
          return req.messages.length === 1 ? invalidReply : validReply('forty-two');
        },
      },
    });
    expect(record.status).toBe('done');
    expect(step.attempts.map((a) => a.success)).toEqual([false, true]);
    expect(step.attempts.map((a) => a.model)).toEqual([small, small]);
    expect(step.attempts[0]?.error?.kind).toBe('invalid-output');

    // The issue zod itself reports for the invalid reply must reach the model word for word.
    const expected = answerSchema.safeParse(JSON.parse(invalidReply));
    if (expected.success) throw new Error('invalidReply should fail the schema');
    const issue = expected.error.issues[0];
    expect(issue).toBeDefined();
    expect(step.attempts[0]?.issues).toEqual([{ path: 'answer', message: issue?.message }]);

    expect(seen).toHaveLength(2);
    const second = seen[1]?.messages ?? [];
    expect(second[0]).toEqual({ role: 'user', content: 'What is six times seven?' });
    expect(second[1]).toEqual({ role: 'assistant', content: invalidReply });
    expect(second[2]?.role).toBe('user');
    expect(second[2]?.content).toContain(`- answer: ${issue?.message}`);
    expect(step.result?.data).toEqual({ answer: 'forty-two', confidence: 0.9 });
  });
});

describe('model step: transient errors', () => {
  const faults: [FaultKind, string][] = [['500', 'server'], ['503', 'busy'], ['reset', 'connection'], ['hang', 'timeout']];
  it.each(faults)('backs off after a %s fault and accepts the retry', async (fault, kind) => {
    const { record, step, stats } = await run(
      { script: { '*': (req) => (req.attempt === 1 ? { content: validReply(), fault } : validReply('after backoff')) } },
      { config: { timeoutMs: 300 } },
    );
    expect(record.status).toBe('done');
    expect(step.attempts.map((a) => a.error?.kind ?? 'ok')).toEqual([kind, 'ok']);
    expect(step.attempts.map((a) => a.model)).toEqual([small, small]);
    expect(statesOf(record)).toContain('asking.backingOff');
    expect(stats.faults[fault]).toBe(1);
    expect(step.result?.data).toEqual({ answer: 'after backoff', confidence: 0.9 });
  });
});

describe('model step: score and escalation', () => {
  it('escalates once transient errors have used up the retries of a model', async () => {
    const { record, step } = await run(
      { script: { [small]: () => ({ content: validReply(), fault: '503' }), [large]: () => validReply('from the large model') } },
      { maxRetries: 2 },
    );
    expect(record.status).toBe('done');
    expect(step.attempts.map((a) => [a.model, a.error?.kind ?? 'ok'])).toEqual([
      [small, 'busy'], [small, 'busy'], [small, 'busy'], [large, 'ok'],
    ]);
    expect(statesOf(record).filter((s) => s === 'asking.backingOff').length).toBeGreaterThanOrEqual(2);
  });

  it('scores 0 when the scorer throws, keeps the paid call in the journal, and escalates then flags', async () => {
    const scorer: Scorer = () => {
      throw new Error('scorer exploded');
    };
    const { record, step, stats } = await run({ script: { '*': () => validReply() } }, { scorer, maxRetries: 2 });
    expect(record.status).toBe('flagged');
    expect(step.attempts.map((a) => [a.model, a.score])).toEqual([[small, 0], [large, 0]]);
    expect(record.journal.map((e) => e.result.metadata)).toEqual([
      expect.objectContaining({ scoreReasons: ['scorer failed: scorer exploded'] }),
      expect.objectContaining({ scoreReasons: ['scorer failed: scorer exploded'] }),
    ]);
    expect(record.usage.calls).toBe(2);
    expect(stats.completed).toBe(2);
  });

  it('escalates a valid but low-scoring reply to the next model, which is accepted', async () => {
    const scorer: Scorer = ({ data }) => {
      const answer = (data as { answer?: string } | undefined)?.answer;
      return { value: answer === 'strong' ? 0.9 : 0.2, reasons: answer === 'strong' ? [] : ['too vague'] };
    };
    const { record, step } = await run(
      { script: { [small]: () => validReply('weak'), [large]: () => validReply('strong') } },
      { scorer, threshold: 0.7, maxRetries: 2 },
    );
    expect(record.status).toBe('done');
    // A low score is not retried on the same model: it goes straight up the ladder.
    expect(step.attempts.map((a) => [a.model, a.score])).toEqual([[small, 0.2], [large, 0.9]]);
    expect(step.result?.model).toBe(large);
    expect(step.result?.metadata.scoreReasons).toEqual([]);
  });

  it('flags the step with reasons when the ladder is exhausted', async () => {
    const { record, step, stats } = await run({ script: { '*': () => invalidReply } }, { maxRetries: 1 });
    expect(record.status).toBe('flagged');
    expect(step.status).toBe('flagged');
    expect(step.attempts.map((a) => a.model)).toEqual([small, small, large, large]);
    expect(record.flags).toEqual([expect.stringMatching(/^ask: ladder exhausted after 4 attempt\(s\) \(last: invalid-output: /)]);
    expect(step.reasons[0]).toMatch(/^ladder exhausted after 4 attempt\(s\) \(last: invalid-output: /);
    expect(step.reasons.slice(1)).toHaveLength(4);
    expect(step.reasons[1]).toContain('invalid-output');
    expect(record.output).toEqual({ answer: null, flags: record.flags });
    expect(stats.completed).toBe(4);
  });

  it.each([0, 2])('makes 1 + maxRetries attempts per model (maxRetries %i)', async (maxRetries) => {
    const { step, stats } = await run({ script: { '*': () => invalidReply } }, { maxRetries });
    const perModel = maxRetries + 1;
    expect(step.attempts.filter((a) => a.model === small)).toHaveLength(perModel);
    expect(step.attempts.filter((a) => a.model === large)).toHaveLength(perModel);
    expect(step.attempts.map((a) => a.attempt)).toEqual([...Array.from({ length: perModel }, (_, i) => i + 1), ...Array.from({ length: perModel }, (_, i) => i + 1)]);
    expect(stats.byModel[small]?.requests).toBe(perModel);
    expect(stats.byModel[large]?.requests).toBe(perModel);
  });
});

describe('model step: budget', () => {
  it('flags with the budget reason once the token budget is spent, without another call', async () => {
    const { record, step, stats } = await run({ script: { '*': () => invalidReply } }, { maxRetries: 3 }, { tokens: 5 });
    expect(record.status).toBe('flagged');
    expect(stats.requests).toBe(1);
    expect(record.flags).toHaveLength(1);
    expect(record.flags[0]).toMatch(/^ask: budget exceeded: token budget of 5 spent/);
    expect(step.budgetExceeded).toMatch(/token budget of 5 spent/);
    expect(step.attempts).toHaveLength(2);
    expect(step.attempts[1]?.error?.kind).toBe('aborted');
  });

  it('flags with the wall-time reason once the time spent driving the run passes its budget', async () => {
    // Every reply is invalid and takes at least 20 ms, so the step would retry: the 10 ms budget stops it first.
    const { record, step, stats } = await run({ latency: { ttftMs: 20 }, script: { '*': () => invalidReply } }, { maxRetries: 3 }, { wallMs: 10 });
    expect(record.status).toBe('flagged');
    expect(record.flags[0]).toMatch(/^ask: budget exceeded: wall-time budget of 10 ms spent \(\d+ ms\)$/);
    expect(step.budgetExceeded).toMatch(/wall-time budget of 10 ms spent/);
    expect(stats.requests).toBeLessThanOrEqual(1);
    expect(record.activeMs).toBeGreaterThanOrEqual(10);
  });
});

describe('model step: non-retryable errors', () => {
  it('escalates past an unknown model without retrying it', async () => {
    const { record, step, stats } = await run({ script: { '*': () => validReply() } }, { ladder: ['no-such-model', small], maxRetries: 3 });
    expect(record.status).toBe('done');
    expect(step.attempts.map((a) => [a.model, a.error?.kind ?? 'ok'])).toEqual([['no-such-model', 'model-not-found'], [small, 'ok']]);
    expect(stats.byModel['no-such-model']?.requests).toBe(1);
    expect(statesOf(record)).not.toContain('asking.backingOff');
  });

  it('flags after one attempt when no model is left to escalate to', async () => {
    const { record, step, stats } = await run({ script: { '*': () => validReply() } }, { ladder: ['no-such-model'], maxRetries: 3 });
    expect(record.status).toBe('flagged');
    expect(step.attempts).toHaveLength(1);
    expect(stats.requests).toBe(1);
    expect(step.reasons[1]).toContain('model-not-found');
  });
});
