// A person's decision: a run waits with its snapshot on disk, takes APPROVE / REJECT with their fields, refuses other events.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventRejectedError, RunFinishedError } from '../../src/runtime/errors.ts';
import { resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { defineWorkflow, sleepUntil, waitFor } from '../../src/steps/index.ts';
import type { FileStore } from '../../src/store/index.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { contextOf, modulePath, oneStepWorkflow, removeTempDirs, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
let sim: Simulator;
let store: FileStore;
beforeEach(async () => {
  sim = await simulator({ script: { '*': () => validReply('draft') } });
  store = tempStore();
});
afterAll(removeTempDirs);

async function startWaiting() {
  const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } }, { approval: true });
  const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'Draft a reply' } });
  return { workflow, record };
}

describe('waiting for a person', () => {
  it('stops driving at the wait with status waiting and the snapshot persisted', async () => {
    const { record } = await startWaiting();
    expect(record.status).toBe('waiting');
    const onDisk = await store.read(record.runId);
    expect(onDisk.status).toBe('waiting');
    expect(onDisk.snapshot?.value).toBe('approval');
    expect(onDisk.wakeAt).toBeNull(); // no deadline: nothing will move it but a person
    expect(contextOf(onDisk).decision).toBeNull();
    expect(contextOf(onDisk).ask?.status).toBe('done');
  });

  it('takes APPROVE with its fields on the event, stores the decision and finishes', async () => {
    const { workflow, record } = await startWaiting();
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE', by: 'ann', note: 'ship it' } });
    expect(done.status).toBe('done');
    const decision = contextOf(await store.read(record.runId)).decision;
    // The payload is on the event, as XState has it: the machine reads `event.by`.
    expect(decision).toEqual({ type: 'APPROVE', by: 'ann', note: 'ship it' });
    expect(done.output).toEqual({ answer: { answer: 'draft', confidence: 0.9 }, flags: [] });
    // No new model call: the approval only moved the run on.
    expect(sim.stats().completed).toBe(1);
    await expect(sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' } })).rejects.toBeInstanceOf(RunFinishedError);
  });

  it('rejects an event the waiting state does not accept, and leaves the run waiting', async () => {
    const { workflow, record } = await startWaiting();
    // @ts-expect-error MAYBE is not one of the machine's events: refused by the compiler, and by the run at run time.
    const refused = sendToRun({ store, runId: record.runId, workflow, event: { type: 'MAYBE' } });
    await expect(refused).rejects.toBeInstanceOf(EventRejectedError);
    await expect(refused).rejects.toThrow(/does not accept MAYBE.*it accepts: APPROVE, REJECT/);
    expect((await store.read(record.runId)).status).toBe('waiting');
    // The refusal released the run: it still takes a valid event.
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
  });

  it('REJECT loops back to the step for a new pass with a new call', async () => {
    const { workflow, record } = await startWaiting();
    const again = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'REJECT', feedback: 'too terse' } });
    expect(again.status).toBe('waiting');
    expect(sim.stats().completed).toBe(2);
    expect(again.journal).toHaveLength(2);
    // Each entry of the step is a new pass with its own journal keys: the second pass never replays the first.
    const [first, second] = again.journal.map((entry) => entry.key);
    expect(first).not.toBe(second);
    expect(first?.replace(/:[0-9a-f]{8}\./, ':')).toBe(second?.replace(/:[0-9a-f]{8}\./, ':'));
    const context = contextOf(again);
    expect(context.ask?.attempts.every((a) => !a.replayed)).toBe(true);
    expect(context.decision).toEqual({ type: 'REJECT', feedback: 'too terse' });
  });
});

/** A sign-off that expires: APPROVE before the deadline, or the run moves to `expired` on its own. */
function expiringWorkflow(ms: number) {
  type Approve = { type: 'APPROVE'; by?: string };
  const machine = setup({
    types: { context: {} as { approval: unknown }, events: {} as Approve },
    actors: { sleepUntil },
  }).createMachine({
    id: 'sign-off',
    context: { approval: null },
    initial: 'approval',
    states: {
      approval: {
        ...waitFor({ timeout: { ms, target: 'expired' } }),
        on: { APPROVE: { target: 'approved', actions: assign({ approval: ({ event }) => event.by ?? null }) } },
      },
      approved: { type: 'final' },
      expired: { type: 'final' },
    },
  });
  return defineWorkflow({ id: 'sign-off', input: z.object({}), machine });
}

describe('waiting with a deadline', () => {
  it('keeps its absolute deadline across resumes and takes the timeout target once it has passed', async () => {
    const workflow = expiringWorkflow(300);
    const first = await runWorkflow({ store, workflow, modulePath, input: {} });
    expect(first.status).toBe('waiting');
    const until = first.wakeAt;
    expect(typeof until).toBe('number');

    // Resumed before the deadline: still waiting, and the deadline did not move.
    const early = await resumeWorkflow({ store, runId: first.runId, workflow });
    expect(early.status).toBe('waiting');
    expect(early.wakeAt).toBe(until);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (until as number) - Date.now()) + 20));
    const late = await resumeWorkflow({ store, runId: first.runId, workflow });
    expect(late.status).toBe('done');
    expect(late.snapshot?.value).toBe('expired');
  });

  it('takes a decision sent before the deadline', async () => {
    const workflow = expiringWorkflow(60_000);
    const first = await runWorkflow({ store, workflow, modulePath, input: {} });
    const done = await sendToRun({ store, runId: first.runId, workflow, event: { type: 'APPROVE', by: 'ok' } });
    expect(done.status).toBe('done');
    expect(done.snapshot?.value).toBe('approved');
    expect(contextOf<{ approval: unknown }>(done).approval).toBe('ok');
  });
});
