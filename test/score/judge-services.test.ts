// A judge's model call goes through the run's services, like the step's own: routed over the run's hosts, checked
// against the budget, journaled under the call it grades (with its request), counted, reported and traced. A step
// started with plain `createActor` lends its scorer a call of its own.
import { createActor, toPromise } from 'xstate';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flagReasons } from '../../src/cli/print-run.ts';
import { callDetail } from '../../src/inspect/call-detail.ts';
import { callRows } from '../../src/inspect/calls.ts';
import { runUsage } from '../../src/inspect/usage.ts';
import { HostSet } from '../../src/llm/hosts.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { judgeScorer } from '../../src/score/judge.ts';
import type { Scorer } from '../../src/score/types.ts';
import type { CallEvent } from '../../src/steps/services.ts';
import type { SimRequest, Simulator } from '../../src/testing/index.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { useInMemorySpans } from '../telemetry/otel.ts';
import { askStep, contextOf, large, modulePath, oneStepWorkflow, removeTempDirs, small, tempStore, validReply } from '../steps/fixtures.ts';

const spans = useInMemorySpans();
const simulator = useSimulators();
afterAll(removeTempDirs);

const rubric = 'The answer is a number, spelled out.';
const input = { question: 'What is six times seven?' };
const isJudge = (req: SimRequest) => req.messages[0]?.role === 'system' && req.messages[0].content.startsWith('You are a strict, impartial evaluator');

/** Answers as the step's model and as its judge (the larger model), the judge's verdict fixed. */
function replies(verdict = 8) {
  return { script: { '*': (req: SimRequest) => (isJudge(req) ? JSON.stringify({ score: verdict, reasons: ['spelled out'] }) : validReply('forty-two')) } };
}

/** An address nothing listens on: a simulator's, once it is closed. */
async function deadHost(): Promise<string> {
  const gone = await simulator();
  await gone.close();
  return gone.url;
}

// The judge is given no host: in a run it must go where the run's calls go, never to OLLAMA_HOST (a dead port here).
const hostBefore = process.env.OLLAMA_HOST;
beforeEach(async () => {
  process.env.OLLAMA_HOST = await deadHost();
});
afterEach(() => {
  if (hostBefore === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = hostBefore;
});

const judged = (extra: Parameters<typeof oneStepWorkflow>[0] = {}) =>
  oneStepWorkflow({ ladder: [small], maxRetries: 0, scorer: judgeScorer({ model: large, rubric }), threshold: 0.7, config: { timeoutMs: 3000 }, ...extra });

describe("a judge's call in a run", () => {
  it('is routed over the run\'s hosts, journaled with its request under the reply it grades, counted, reported and traced', async () => {
    const sim: Simulator = await simulator(replies(8));
    const events: CallEvent[] = [];
    const record = await runWorkflow({ store: tempStore(), workflow: judged(), modulePath, input, hosts: new HostSet([sim.url]), onCall: (e) => events.push(e) });
    expect(record.status).toBe('done');
    expect(contextOf(record).ask?.result?.score).toBeCloseTo(0.8);

    // Two entries: the reply with its score, then the judge's own call keyed under it, its request kept.
    const [reply, judge] = record.journal;
    expect(record.journal).toHaveLength(2);
    expect(reply).toMatchObject({ step: 'ask', result: { model: small, score: 0.8 } });
    expect(reply?.judges).toBeUndefined();
    expect(judge?.key).toMatch(new RegExp(`^${(reply?.key ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/judge\\.[0-9a-f]{16}$`));
    expect(judge).toMatchObject({ step: 'ask (judge)', result: { model: large, success: true, metadata: { host: sim.url } } });
    expect(judge?.messages?.[0]?.content).toContain(rubric);
    expect(judge?.messages?.[0]?.content).toContain('forty-two');

    // Each paid call counted once, judges included, in the run's usage and in `harness usage`'s.
    expect(record.usage.calls).toBe(2);
    expect(record.usage.tokensOut).toBe((reply?.result.tokensOut ?? 0) + (judge?.result.tokensOut ?? 0));
    expect(runUsage(record).byStep.map((row) => [row.name, row.calls])).toEqual(expect.arrayContaining([['ask', 1], ['ask · judge', 1]]));
    expect(sim.stats().completed).toBe(2);

    // The call listener saw the judge's call, as a call of its own.
    expect(events.filter((e) => e.type === 'call.start').map((e) => e.type === 'call.start' && [e.step, e.model])).toEqual([['ask', small], ['ask (judge)', large]]);
    expect(events.filter((e) => e.type === 'call.end').map((e) => e.type === 'call.end' && [e.step, e.replayed, e.result.score])).toEqual([
      ['ask (judge)', false, null],
      ['ask', false, 0.8],
    ]);

    // The inspector lists it under the reply it graded, and shows what the judge was asked.
    const rows = callRows(record.journal);
    expect(rows.map((r) => [r.id, r.kind, r.label, r.of])).toEqual([['0', 'call', 'ask', null], ['1', 'judge', 'ask · judge', '0']]);
    expect(callDetail(record, '1').messages?.[0]?.content).toContain(rubric);
    expect(callDetail(record, '0').judges.map((r) => r.id)).toEqual(['1']);

    // A span of its own, in the run's trace.
    const judgeSpan = spans.all().find((span) => span.name === `chat ${large}`);
    expect(judgeSpan?.attributes).toMatchObject({ 'harness.step': 'ask (judge)', 'harness.replayed': false, 'gen_ai.request.model': large, 'server.port': sim.port });
    expect(judgeSpan?.spanContext().traceId).toBe(spans.one('invoke_workflow').spanContext().traceId);
  });

  it('keeps a judge\'s explicit host, even when the run has hosts of its own', async () => {
    const stepHost = await simulator({ script: { '*': () => validReply('forty-two') } });
    const judgeHost = await simulator(replies(9));
    const workflow = judged({ scorer: judgeScorer({ model: large, rubric, host: judgeHost.url }) });
    const record = await runWorkflow({ store: tempStore(), workflow, modulePath, input, hosts: new HostSet([stepHost.url]) });
    expect(record.status).toBe('done');
    expect(record.journal.map((entry) => [entry.step, entry.result.metadata.host])).toEqual([['ask', stepHost.url], ['ask (judge)', judgeHost.url]]);
    expect(judgeHost.stats().byModel[large]?.completed).toBe(1);
  });

  it('is not made once the budget is spent: the step is flagged for its budget, never scored 0', async () => {
    const sim = await simulator(replies(8));
    const record = await runWorkflow({ store: tempStore(), workflow: judged(), modulePath, input, hosts: new HostSet([sim.url]), budget: { tokens: 1 } });
    expect(record.status).toBe('flagged');
    expect(record.flags).toEqual([expect.stringMatching(/^ask: budget exceeded: token budget of 1 spent/)]);
    expect(sim.stats().byModel[large]).toBeUndefined();
    // The reply was paid: it is journaled (without a score), and counted.
    expect(record.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['ask', null]]);
    expect(record.usage.calls).toBe(1);
    expect(flagReasons(record)).toEqual([{ label: 'ask', reasons: [expect.stringMatching(/^budget exceeded/), 'qwen2.5-coder:7b attempt 1: score none'] }]);
  });
});

describe("a judge's call and a graceful stop", () => {
  it('is let finish and journaled; the run rests stopped, and its resume pays for neither the reply nor the judge again', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sim = await simulator({
      script: {
        '*': async (req: SimRequest) => {
          if (!isJudge(req)) return validReply('forty-two');
          await held;
          return JSON.stringify({ score: 8, reasons: ['spelled out'] });
        },
      },
    });
    const store = tempStore();
    const workflow = judged();
    const hosts = new HostSet([sim.url]);
    const stop = new AbortController();
    // Ctrl-C while the judge's call is in flight: it is answered after the stop was asked for.
    const onCall = (event: CallEvent) => {
      if (event.type === 'call.start' && event.step === 'ask (judge)') {
        stop.abort();
        release();
      }
    };
    const stopped = await runWorkflow({ store, workflow, modulePath, input, hosts, signal: stop.signal, onCall });
    expect(stopped.status).toBe('stopped');
    expect(stopped.journal.map((entry) => entry.step)).toEqual(['ask', 'ask (judge)']);
    expect(stopped.usage.calls).toBe(2);

    const done = await resumeWorkflow({ store, runId: stopped.runId, workflow, hosts });
    expect(done.status).toBe('done');
    expect(contextOf(done).ask?.result?.score).toBeCloseTo(0.8);
    expect(done.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['ask', 0.8], ['ask (judge)', null]]);
    expect(done.usage.calls).toBe(2);
    expect(sim.stats().byModel[small]?.requests).toBe(1);
    expect(sim.stats().byModel[large]?.requests).toBe(1);
  });
});

describe("a judge's call outside a run (plain createActor)", () => {
  it('is the scorer\'s own call, to the host its config names', async () => {
    const sim = await simulator(replies(7));
    const step = askStep({ ladder: [small], scorer: judgeScorer({ model: large, rubric, host: sim.url }), threshold: 0.5, config: { host: sim.url, timeoutMs: 3000 } });
    const output = await toPromise(createActor(step, { input }).start());
    expect(output.status).toBe('done');
    expect(output.result?.score).toBeCloseTo(0.7);
    expect(sim.stats().completed).toBe(2);
  });

  it('lends any scorer a call: the model it names answers, and the score is what the scorer makes of it', async () => {
    const sim = await simulator({ script: { [small]: () => validReply('forty-two'), [large]: () => 'yes' } });
    const asked: string[] = [];
    const scorer: Scorer = async (reply, options) => {
      if (!options?.call) throw new Error('no call lent');
      const verdict = await options.call([{ role: 'user', content: `Is "${reply.content}" spelled out? yes or no` }], { model: large, host: sim.url, timeoutMs: 3000 });
      asked.push(verdict.model);
      return { value: verdict.content === 'yes' ? 1 : 0, reasons: [] };
    };
    const step = askStep({ ladder: [small], scorer, threshold: 1, config: { host: sim.url, timeoutMs: 3000 } });
    const output = await toPromise(createActor(step, { input }).start());
    expect(output.status).toBe('done');
    expect(output.result?.score).toBe(1);
    expect(asked).toEqual([large]);
  });
});
