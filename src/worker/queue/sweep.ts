// The sweep: offers the queue every run that needs a job (submitted without a queue, left waiting by `send`, lost).
import type { RunStore } from '../../store/index.ts';
import { planJob } from './plan.ts';
import type { RunQueue } from './queue.ts';

/**
 * Adds a job for every run that needs driving now or at a wake-up time. A run that has a job already keeps it (the
 * job id is the run's), so sweeping is idempotent and any number of workers may sweep at once. Returns how many
 * runs were offered.
 */
export async function sweep(store: RunStore, queue: RunQueue, now = Date.now()): Promise<number> {
  const { runs } = await store.list();
  let offered = 0;
  for (const run of runs) {
    const plan = planJob(run, now);
    if (plan.kind === 'leave') continue;
    // A run driven before (a dead worker's, one left waiting by `send`) is work under way: it goes before fresh runs.
    const fresh = run.status === 'running' && run.activeMs === 0;
    await queue.enqueue(run.runId, { fresh, at: plan.kind === 'later' ? plan.at : undefined });
    offered += 1;
  }
  return offered;
}
