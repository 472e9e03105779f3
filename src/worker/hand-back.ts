// A run the worker itself stopped goes back to `running` with its lock free, so any worker takes it up again.
import { hasCode } from '../errors.ts';
import { checkpointOf, type RunSession, type RunStore } from '../store/index.ts';

/**
 * The driver checkpoints a gracefully stopped run as `stopped`, which workers leave alone (a person stopped it). When
 * the worker was the one stopping, the run is re-marked `running` (unchanged otherwise) so another worker resumes
 * it. Returns false when someone else holds the run meanwhile: it is then left as that driver leaves it.
 */
export async function handBack(store: RunStore, runId: string): Promise<boolean> {
  let session: RunSession;
  try {
    session = await store.open(runId);
  } catch (error) {
    if (hasCode(error, 'RUN_LOCKED')) return false;
    throw error;
  }
  try {
    const { record } = session;
    if (record.status !== 'stopped') return false;
    await session.commit({ ...checkpointOf(record), status: 'running', wakeAt: null });
    return true;
  } finally {
    await session.close();
  }
}
