// The model step's guard paths, driven as a plain actor (no runtime, no store) against the Ollama simulator:
// accept, feedback, outage backoff, escalate, score threshold, flag. Budgets and parking are the run's concern.
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Scorer } from '../../src/score/types.ts';
import type { FaultKind, SimRequest, SimulatorOptions } from '../../src/testing/index.ts';
import { answerSchema, askStep, invalidReply, large, small, validReply, type AskSpec } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const input = { question: 'What is six times seven?' };

/** Runs the `ask` step machine once with `createActor` alone; `states` are the step's own states, in order. */
async function run(simOptions: SimulatorOptions, spec: AskSpec = {}) {
  const sim = await simulator(simOptions);
  const actor = createActor(askStep({ ...spec, config: { timeoutMs: 2000, ...spec.config, host: sim.url } }), { input });
  const states: string[] = [];
  actor.subscribe((snapshot) => states.push(String(snapshot.value)));
  actor.start();
  const output = await toPromise(actor);
  return { output, states, stats: sim.stats() };
}

describe('model step: accepted', () => {
  it('accepts a valid first reply after one attempt, its data typed by the schema', async () => {
    const { output, stats } = await run({ script: { '*': () => validReply('42', 0.9) } });
    expect(output.status).toBe('done');
    expect(output.attempts).toHaveLength(1);
    expect(output.data).toEqual({ answer: '42', confidence: 0.9 });
    expect(output.data?.answer).toBe('42');
    expect(output.result?.model).toBe(small);
    expect(output.flags).toEqual([]);
    expect(output.reasons).toEqual([]);
    expect(stats.completed).toBe(1);
  });

  it('shares nothing between two plain actors of one step machine: each makes its own call', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const step = askStep({ config: { host: sim.url, timeoutMs: 2000 } });
    const first = await toPromise(createActor(step, { input }).start());
    const second = await toPromise(createActor(step, { input }).start());
    expect([first.status, second.status]).toEqual(['done', 'done']);
    expect([first.attempts[0]?.replayed, second.attempts[0]?.replayed]).toEqual([false, false]);
    expect(sim.stats().completed).toBe(2);
    expect(sim.log().length).toBe(2);
  });
});

describe('model step: invalid output', () => {
  it('retries with the failed reply and the exact validation issue, then accepts', async () => {
    const seen: SimRequest[] = [];
    const { output } = await run({
      script: {
        '*': (req) => {
          seen.push(req);
          return req.messages.length === 1 ? invalidReply : validReply('forty-two');
        },
      },
    });
    expect(output.status).toBe('done');
    expect(output.attempts.map((a) => a.success)).toEqual([false, true]);
    expect(output.attempts.map((a) => a.model)).toEqual([small, small]);
    expect(output.attempts[0]?.error?.kind).toBe('invalid-output');

    // The issue zod itself reports for the invalid reply must reach the model word for word.
    const expected = answerSchema.safeParse(JSON.parse(invalidReply));
    if (expected.success) throw new Error('invalidReply should fail the schema');
    const issue = expected.error.issues[0];
    expect(issue).toBeDefined();
    expect(output.attempts[0]?.issues).toEqual([{ path: 'answer', message: issue?.message }]);

    expect(seen).toHaveLength(2);
    const second = seen[1]?.messages ?? [];
    expect(second[0]).toEqual({ role: 'user', content: 'What is six times seven?' });
    expect(second[1]).toEqual({ role: 'assistant', content: invalidReply });
    expect(second[2]?.role).toBe('user');
    expect(second[2]?.content).toContain(`- answer: ${issue?.message}`);
    expect(output.data).toEqual({ answer: 'forty-two', confidence: 0.9 });
  });
});

describe('model step: transient errors', () => {
  const faults: [FaultKind, string][] = [['500', 'server'], ['503', 'busy'], ['reset', 'connection'], ['hang', 'timeout']];
  it.each(faults)('backs off after a %s fault and accepts the retry', async (fault, kind) => {
    const { output, states, stats } = await run(
      { script: { '*': (req) => (req.attempt === 1 ? { content: validReply(), fault } : validReply('after backoff')) } },
      { config: { timeoutMs: 300 } },
    );
    expect(output.status).toBe('done');
    // The fault cost a try, not an attempt: one attempt, the lost try kept apart on it.
    expect(output.attempts.map((a) => a.error?.kind ?? 'ok')).toEqual(['ok']);
    expect(output.attempts[0]?.outageTries?.map((t) => t.error.kind)).toEqual([kind]);
    expect(output.attempts.map((a) => a.model)).toEqual([small]);
    expect(states).toContain('backingOff');
    expect(stats.faults[fault]).toBe(1);
    expect(output.data).toEqual({ answer: 'after backoff', confidence: 0.9 });
  });
});

describe('model step: score and escalation', () => {
  it('rides out a host outage on the same model, spending no retry and no rung', async () => {
    // The small model's host is busy three times, then answers: an outage, not a model failure.
    const { output, states } = await run(
      { script: { [small]: (req) => (req.attempt <= 3 ? { content: validReply(), fault: '503' } : validReply('after the outage')) } },
      { maxRetries: 0 },
    );
    expect(output.status).toBe('done');
    expect(output.attempts.map((a) => [a.model, a.attempt, a.error?.kind ?? 'ok'])).toEqual([[small, 1, 'ok']]);
    expect(output.attempts[0]?.outageTries?.map((t) => t.error.kind)).toEqual(['busy', 'busy', 'busy']);
    expect(states.filter((s) => s === 'backingOff')).toHaveLength(3);
    expect(output.data?.answer).toBe('after the outage');
  });

  it('scores 0 when the scorer throws, and escalates then flags', async () => {
    const scorer: Scorer = () => {
      throw new Error('scorer exploded');
    };
    const { output, stats } = await run({ script: { '*': () => validReply() } }, { scorer, maxRetries: 2 });
    expect(output.status).toBe('flagged');
    expect(output.attempts.map((a) => [a.model, a.score])).toEqual([[small, 0], [large, 0]]);
    expect(output.reasons[0]).toBe('ladder exhausted after 2 attempt(s) (last: score 0)');
    expect(stats.completed).toBe(2);
  });

  it('escalates a valid but low-scoring reply to the next model, which is accepted', async () => {
    const scorer: Scorer = ({ data }) => {
      const parsed = answerSchema.safeParse(data);
      const strong = parsed.success && parsed.data.answer === 'strong';
      return { value: strong ? 0.9 : 0.2, reasons: strong ? [] : ['too vague'] };
    };
    const { output } = await run(
      { script: { [small]: () => validReply('weak'), [large]: () => validReply('strong') } },
      { scorer, threshold: 0.7, maxRetries: 2 },
    );
    expect(output.status).toBe('done');
    // A low score is not retried on the same model: it goes straight up the ladder.
    expect(output.attempts.map((a) => [a.model, a.score])).toEqual([[small, 0.2], [large, 0.9]]);
    expect(output.result?.model).toBe(large);
    expect(output.result?.score).toBe(0.9);
    expect(output.result?.metadata.scoreReasons).toEqual([]);
  });

  it('accepts a reply that scores exactly the threshold', async () => {
    const { output } = await run({ script: { '*': () => validReply() } }, { scorer: () => ({ value: 0.7, reasons: [] }), threshold: 0.7 });
    expect(output.status).toBe('done');
    expect(output.attempts).toHaveLength(1);
  });

  it('flags the step with reasons when the ladder is exhausted', async () => {
    const { output, stats } = await run({ script: { '*': () => invalidReply } }, { maxRetries: 1 });
    expect(output.status).toBe('flagged');
    expect(output.data).toBeNull();
    expect(output.result).toBeNull();
    expect(output.attempts.map((a) => a.model)).toEqual([small, small, large, large]);
    expect(output.flags).toEqual([expect.stringMatching(/^ask: ladder exhausted after 4 attempt\(s\) \(last: invalid-output: /)]);
    expect(output.reasons[0]).toMatch(/^ladder exhausted after 4 attempt\(s\) \(last: invalid-output: /);
    expect(output.reasons.slice(1)).toHaveLength(4);
    expect(output.reasons[1]).toContain('invalid-output');
    expect(stats.completed).toBe(4);
  });

  it.each([0, 2])('makes 1 + maxRetries attempts per model (maxRetries %i)', async (maxRetries) => {
    const { output, stats } = await run({ script: { '*': () => invalidReply } }, { maxRetries });
    const perModel = maxRetries + 1;
    const numbers = Array.from({ length: perModel }, (_, i) => i + 1);
    expect(output.attempts.filter((a) => a.model === small)).toHaveLength(perModel);
    expect(output.attempts.filter((a) => a.model === large)).toHaveLength(perModel);
    expect(output.attempts.map((a) => a.attempt)).toEqual([...numbers, ...numbers]);
    expect(stats.byModel[small]?.requests).toBe(perModel);
    expect(stats.byModel[large]?.requests).toBe(perModel);
  });
});

describe('model step: non-retryable errors', () => {
  it('escalates past an unknown model without retrying it', async () => {
    const { output, states, stats } = await run({ script: { '*': () => validReply() } }, { ladder: ['no-such-model', small], maxRetries: 3 });
    expect(output.status).toBe('done');
    expect(output.attempts.map((a) => [a.model, a.error?.kind ?? 'ok'])).toEqual([['no-such-model', 'model-not-found'], [small, 'ok']]);
    expect(stats.byModel['no-such-model']?.requests).toBe(1);
    expect(states).not.toContain('backingOff');
  });

  it('flags after one attempt when no model is left to escalate to', async () => {
    const { output, stats } = await run({ script: { '*': () => validReply() } }, { ladder: ['no-such-model'], maxRetries: 3 });
    expect(output.status).toBe('flagged');
    expect(output.attempts).toHaveLength(1);
    expect(stats.byModel['no-such-model']?.requests).toBe(1);
    expect(output.reasons[1]).toContain('model-not-found');
  });
});
