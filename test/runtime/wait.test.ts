// A person's decision: a run waits with its snapshot on disk, takes APPROVE / REJECT with data, refuses other events.
import { setup } from 'xstate';
import { z } from 'zod';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventRejectedError, RunFinishedError } from '../../src/runtime/errors.ts';
import { resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { defineWorkflow, initialHarnessContext, stepImplementations, waitFor, type HarnessContext } from '../../src/steps/index.ts';
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
  const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'Draft a reply' }, pool: null });
  return { workflow, record };
}

describe('waiting for a person', () => {
  it('stops driving at the wait with status waiting and the snapshot persisted', async () => {
    const { record } = await startWaiting();
    expect(record.status).toBe('waiting');
    const onDisk = store.read(record.runId);
    expect(onDisk.status).toBe('waiting');
    expect(onDisk.snapshot?.value).toBe('approval');
    expect(contextOf(onDisk).waits.approval).toEqual({ until: null, decision: null });
    expect(contextOf(onDisk).steps.ask?.status).toBe('done');
  });

  it('takes APPROVE with data, stores the decision and finishes', async () => {
    const { workflow, record } = await startWaiting();
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE', data: { by: 'ann', note: 'ship it' } }, pool: null });
    expect(done.status).toBe('done');
    const decision = contextOf(store.read(record.runId)).waits.approval?.decision;
    expect(decision?.type).toBe('APPROVE');
    expect(decision?.data).toEqual({ by: 'ann', note: 'ship it' });
    expect(Number.isNaN(Date.parse(decision?.at ?? ''))).toBe(false);
    expect(done.output).toEqual({ answer: { answer: 'draft', confidence: 0.9 }, flags: [] });
    // No new model call: the approval only moved the run on.
    expect(sim.stats().completed).toBe(1);
    await expect(sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' }, pool: null })).rejects.toBeInstanceOf(RunFinishedError);
  });

  it('rejects an event the waiting state does not accept, and leaves the run waiting', async () => {
    const { workflow, record } = await startWaiting();
    const refused = sendToRun({ store, runId: record.runId, workflow, event: { type: 'MAYBE' }, pool: null });
    await expect(refused).rejects.toBeInstanceOf(EventRejectedError);
    await expect(refused).rejects.toThrow(/does not accept MAYBE.*it accepts: APPROVE, REJECT/);
    expect(store.read(record.runId).status).toBe('waiting');
    // The refusal released the run: it still takes a valid event.
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' }, pool: null });
    expect(done.status).toBe('done');
  });

  it('REJECT loops back to the step for a new pass with a new call', async () => {
    const { workflow, record } = await startWaiting();
    const again = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'REJECT', data: 'too terse' }, pool: null });
    expect(again.status).toBe('waiting');
    expect(sim.stats().completed).toBe(2);
    expect(again.journal).toHaveLength(2);
    const [first, second] = again.journal.map((entry) => entry.key);
    expect(first).toMatch(/:ask\.p1\./);
    expect(second).toMatch(/:ask\.p2\./);
    const context = contextOf(again);
    expect(context.steps.ask?.pass).toBe(2);
    expect(context.steps.ask?.attempts.every((a) => !a.replayed)).toBe(true);
    // Entering the wait again starts it afresh; the rejection is not mistaken for this pass's decision.
    expect(context.waits.approval?.decision).toBeNull();
  });
});

/** A sign-off that expires: APPROVE before the deadline, or the run moves to `expired` on its own. */
function expiringWorkflow(ms: number) {
  type Approve = { type: 'APPROVE'; data?: unknown };
  const impl = stepImplementations<HarnessContext, Approve>();
  const machine = setup({
    types: { context: {} as HarnessContext, events: {} as Approve },
    actors: impl.actors,
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'sign-off',
    context: initialHarnessContext,
    initial: 'approval',
    states: {
      approval: waitFor({ id: 'approval', events: { APPROVE: 'approved' }, timeout: { ms, target: 'expired' } }),
      approved: { type: 'final' },
      expired: { type: 'final' },
    },
  });
  return defineWorkflow({ id: 'sign-off', input: z.object({}), machine });
}

describe('waiting with a deadline', () => {
  it('keeps its absolute deadline across resumes and takes the timeout target once it has passed', async () => {
    const workflow = expiringWorkflow(300);
    const first = await runWorkflow({ store, workflow, modulePath, input: {}, pool: null });
    expect(first.status).toBe('waiting');
    const until = contextOf(first).waits.approval?.until;
    expect(typeof until).toBe('number');

    // Resumed before the deadline: still waiting, and the deadline did not move.
    const early = await resumeWorkflow({ store, runId: first.runId, workflow, pool: null });
    expect(early.status).toBe('waiting');
    expect(contextOf(early).waits.approval?.until).toBe(until);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (until as number) - Date.now()) + 20));
    const late = await resumeWorkflow({ store, runId: first.runId, workflow, pool: null });
    expect(late.status).toBe('done');
    expect(late.snapshot?.value).toBe('expired');
  });

  it('takes a decision sent before the deadline', async () => {
    const workflow = expiringWorkflow(60_000);
    const first = await runWorkflow({ store, workflow, modulePath, input: {}, pool: null });
    const done = await sendToRun({ store, runId: first.runId, workflow, event: { type: 'APPROVE', data: 'ok' }, pool: null });
    expect(done.status).toBe('done');
    expect(done.snapshot?.value).toBe('approved');
    expect(contextOf(done).waits.approval?.decision).toMatchObject({ type: 'APPROVE', data: 'ok' });
  });
});
