// Which runs are due (pure), and the sliced sleep that survives delays past setTimeout's 2^31−1 ms limit.
import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../src/store/index.ts';
import { planDue } from '../../src/worker/index.ts';
import { Sleeper } from '../../src/worker/sleeper.ts';

const now = 1_000_000;
const run = (runId: string, status: RunStatus, wakeAt: number | null, activeMs = 5): RunSummary => ({
  runId,
  workflowId: 'wf',
  status,
  createdAt: new Date(now - 10_000).toISOString(),
  updatedAt: new Date(now).toISOString(),
  activeMs,
  tokens: 0,
  calls: 0,
  flags: [],
  wakeAt,
});

describe('planDue', () => {
  it('takes submitted, orphaned, due waiting and parked runs; never stopped or final ones; wakes at the next deadline', () => {
    const runs = [
      run('new', 'running', null, 0),
      run('orphan', 'running', null),
      run('due', 'waiting', now - 5),
      run('later', 'waiting', now + 700),
      run('person', 'waiting', null),
      run('parked', 'parked', now - 1),
      run('parked-later', 'parked', now + 300),
      run('stopped', 'stopped', now - 100),
      run('done', 'done', null),
      run('cancelled', 'cancelled', null),
    ];
    const plan = planDue(runs, now, () => false);
    expect(plan.due.map((d) => [d.runId, d.reason])).toEqual([
      ['new', 'submitted'],
      ['orphan', 'orphaned'],
      ['due', 'deadline'],
      ['parked', 'parked'],
    ]);
    expect(plan.nextWakeAt).toBe(now + 300);
    expect(planDue(runs, now, (id) => id !== 'later').due).toEqual([]);
  });
});

describe('Sleeper', () => {
  it('sleeps toward a time past 2^31−1 ms without firing early, and wakes when asked', async () => {
    const sleeper = new Sleeper();
    let woke = false;
    const sleeping = sleeper.sleepUntil(Date.now() + 30 * 24 * 3600_000).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(woke).toBe(false);
    sleeper.wake();
    await sleeping;
    expect(woke).toBe(true);
  });
});
