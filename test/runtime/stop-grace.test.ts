// A graceful stop is bounded: a tool call that never ends (and ignores its signal) is cut off once `stopGraceMs` has
// passed, the run is checkpointed `stopped`, the stop names the call, and a resume makes it again. A tool call that
// timed out is journaled like any result: a resume does not run it again.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resumeWorkflow, runWorkflow, type InputOf, type StopReport } from '../../src/runtime/index.ts';
import type { CallEvent } from '../../src/steps/index.ts';
import { useModelRuns } from '../helpers/runs.ts';
import workflow, { onToolLog, planScript, releaseHolds } from './fixtures/tool-workflow.ts';

const runs = useModelRuns('harness-stop-grace-');
const modulePath = '/virtual/tool-workflow.ts';

/** What the tools really did, in order (`start wait`, `done wait`…), for the current test. */
let log: string[] = [];
const unlisten = onToolLog((line) => log.push(line.split(' ').slice(0, 2).join(' ')));
afterEach(() => {
  releaseHolds();
  delete process.env.TOOL_HOLD;
  log = [];
});
afterAll(() => unlisten());

const modelCalls = (journal: { result: { model: string } }[]) => journal.filter((entry) => !entry.result.model.startsWith('tool:'));

/** Starts a run of `plan` that is stopped the moment a tool starts, with `stopGraceMs`; its stop reports, collected. */
async function stoppedAtTool(runId: string, plan: InputOf<typeof workflow>['plan'], stopGraceMs: number) {
  const { store, sim } = await runs.start({ script: { '*': planScript } });
  const controller = new AbortController();
  const stopOnStart = onToolLog((line) => line.startsWith('start ') && controller.abort());
  const stops: StopReport[] = [];
  try {
    const record = await runWorkflow({ store, workflow, modulePath, input: { plan }, runId, signal: controller.signal, stopGraceMs, onStop: (report) => stops.push(report) });
    return { record, stops, store, sim };
  } finally {
    stopOnStart();
  }
}

describe('a bounded graceful stop', () => {
  it('cuts off a call that outlasts the grace, checkpoints the run stopped, names the call; resume makes it again', async () => {
    process.env.TOOL_HOLD = 'wait';
    const { record: stopped, stops, store, sim } = await stoppedAtTool('grace-1', ['wait'], 100);
    expect(stopped.status).toBe('stopped');
    expect(stops).toEqual([{ cutOff: ['research/wait'] }]);
    expect(stopped.journal.map((entry) => entry.step)).toEqual(['research']); // the cut-off call is not journaled

    delete process.env.TOOL_HOLD;
    const done = await resumeWorkflow({ store, runId: 'grace-1', workflow });
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ summary: 'waited', flags: [] });
    expect(log).toEqual(['start wait', 'start wait', 'done wait']); // made again on resume, completed once
    expect(sim.stats().completed).toBe(modelCalls(done.journal).length); // no model turn paid twice
  });

  it('waits for calls that finish within the grace: nothing is cut off', async () => {
    const { record: stopped, stops } = await stoppedAtTool('grace-2', ['wait'], 60_000);
    expect(stopped.status).toBe('stopped');
    expect(stops).toEqual([{ cutOff: [] }]);
    expect(stopped.journal.map((entry) => entry.step)).toEqual(['research', 'research/wait']);
  });

  it('journals a timed-out tool call: resume does not run it again, and ends as an uninterrupted run would', async () => {
    const { store, sim } = await runs.start({ script: { '*': planScript } });
    const controller = new AbortController();
    // Stop as the second turn starts: the timed-out result is journaled by then, the turn in flight finishes.
    let paid = 0;
    const onCall = (event: CallEvent) => {
      if (event.type === 'call.start' && ++paid === 2) controller.abort();
    };
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { plan: ['stall'] }, runId: 'timed-out', signal: controller.signal, onCall });
    expect(stopped.status).toBe('stopped');
    const timedOut = stopped.journal.find((entry) => entry.step === 'research/stall');
    expect(timedOut?.result).toMatchObject({ success: false, content: 'error: tool stall timed out after 200 ms', metadata: { error: { kind: 'timeout' } } });

    const done = await resumeWorkflow({ store, runId: 'timed-out', workflow });
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ summary: 'error: tool stall timed out after 200 ms', flags: [] });
    expect(log).toEqual(['start stall']);
    expect(sim.stats().completed).toBe(modelCalls(done.journal).length);
  });
});
