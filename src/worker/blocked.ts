// A run workers refuse (its module fails to load, its definition changed, a model no host has): the reason is noted on
// the run, it is tried again with a growing backoff, and it never looks driven while nobody drives it.
import { hasCode } from '../errors.ts';
import { checkpointOf, finalStatuses, type Blocked, type RunSession, type RunStore } from '../store/index.ts';

/** Refusals stay true until a person acts (fixes the module, migrates, pulls the model): tried again 5 s, 10 s, … 10 min later. */
export const refusalBaseMs = 5_000;
export const refusalCapMs = 10 * 60_000;

/** What a worker refused a run with. */
export interface Refusal {
  code: string;
  message: string;
}

/**
 * Notes on the run why it cannot be driven (its `blocked` field, which `ls`, `show` and the inspector show); nothing else
 * of the run changes, and the next checkpoint a driver writes drops the note. The note goes through a session, so it
 * is fenced like any write. Skipped when `known` (the run as the caller read it) already says the same, and when
 * another session holds the run (someone drives it after all). Best effort: the refusal itself is reported by the
 * worker either way. Returns whether the note was written.
 */
export async function noteBlocked(store: RunStore, runId: string, refusal: Refusal, known: Blocked | undefined): Promise<boolean> {
  if (known?.code === refusal.code && known.reason === refusal.message) return false;
  let session: RunSession;
  try {
    session = await store.open(runId);
  } catch {
    return false; // held, gone, unreadable or out of reach: nothing to note on, or no need
  }
  try {
    const { record } = session;
    if (finalStatuses.includes(record.status)) return false;
    if (record.blocked?.code === refusal.code && record.blocked.reason === refusal.message) return false;
    const blocked: Blocked = { code: refusal.code, reason: refusal.message, since: new Date().toISOString() };
    await session.commit({ ...checkpointOf(record), blocked });
    return true;
  } catch (error) {
    if (hasCode(error, 'FENCED') || hasCode(error, 'STORE_UNAVAILABLE')) return false;
    throw error;
  } finally {
    await session.close();
  }
}
