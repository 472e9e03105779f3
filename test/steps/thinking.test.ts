// Thinking end to end: a ladder of thinking models, reasoning kept apart from the validated answer, replayed on resume.
import { afterAll, describe, expect, it } from 'vitest';
import { preflight } from '../../src/runtime/preflight.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import type { CallEvent } from '../../src/steps/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { contextOf, modulePath, oneStepWorkflow, removeTempDirs, tempStore, validReply } from './fixtures.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

const smallThinker = 'qwen3:8b';
const largeThinker = 'qwen3:32b';
// The small model reasons in valid JSON but answers with none; the large one reasons in broken JSON, answers right.
const smallThinking = '{"answer": "this is only the reasoning", "confidence": 1}';
const largeThinking = 'The user asks for {"answer": … let me count: six times seven';
/** A stored call's reasoning (the store's own type does not name the field). */
const thinkingOf = (call: object): unknown => ('thinking' in call ? call.thinking : undefined);

describe('a ladder of thinking models (think: true)', () => {
  it('keeps reasoning apart, validates the answer alone, escalates on invalid content, and replays both on resume', async () => {
    const stop = new AbortController();
    const asked: SimRequest[] = [];
    const sim = await simulator({
      models: [smallThinker, largeThinker],
      script: {
        [smallThinker]: (req) => {
          asked.push(req);
          return { thinking: smallThinking, content: 'forty-two, I think' };
        },
        [largeThinker]: (req) => {
          asked.push(req);
          stop.abort(); // the call is on the server: the run stops once it is journaled
          return { thinking: largeThinking, content: validReply('42') };
        },
      },
    });
    const workflow = oneStepWorkflow({ ladder: [smallThinker, largeThinker], maxRetries: 0, config: { host: sim.url, think: true, timeoutMs: 5000 } });
    expect((await preflight({ workflow, hosts: [sim.url] })).missing).toEqual([]);
    const store = tempStore();

    const stopped = await runWorkflow({ store, workflow, modulePath, input: { question: 'six times seven?' }, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    expect(asked.map((req) => [req.model, req.think])).toEqual([[smallThinker, true], [largeThinker, true]]);
    // Both calls are journaled with their reasoning; the small one failed on its content, not on its thinking.
    const [first, second] = stopped.journal;
    expect(first?.result).toMatchObject({ model: smallThinker, success: false, thinking: smallThinking, content: 'forty-two, I think' });
    expect(first?.result.metadata).toMatchObject({ error: { kind: 'invalid-output' } });
    expect(second?.result).toMatchObject({ model: largeThinker, success: true, thinking: largeThinking, content: validReply('42') });
    const requests = sim.stats().requests;

    const events: CallEvent[] = [];
    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow, onCall: (event) => events.push(event) });
    expect(resumed.status).toBe('done');
    expect(sim.stats().requests).toBe(requests); // replayed from the journal: no new call
    expect(asked).toHaveLength(2);
    const replay = events.find((event) => event.type === 'call.end');
    expect(replay).toMatchObject({ type: 'call.end', replayed: true, result: { thinking: largeThinking, content: validReply('42') } });

    const step = contextOf(resumed).ask;
    expect(step?.data).toEqual({ answer: '42', confidence: 0.9 });
    expect(step?.result?.thinking).toBe(largeThinking);
    expect(step?.attempts.map((a) => [a.model, a.success, a.error?.kind ?? null])).toEqual([
      [smallThinker, false, 'invalid-output'],
      [largeThinker, true, null],
    ]);
    expect(resumed.journal.map((entry) => thinkingOf(entry.result))).toEqual([smallThinking, largeThinking]);
  });

  it('a thinking model the host lacks is found before any call', async () => {
    const sim = await simulator({ models: [smallThinker] });
    const workflow = oneStepWorkflow({ ladder: [smallThinker, largeThinker], config: { think: true } });
    const report = await preflight({ workflow, hosts: [sim.url] });
    expect(report.missing).toEqual([largeThinker]);
    expect(sim.stats()).toMatchObject({ requests: 1, completed: 0 });
  });
});
