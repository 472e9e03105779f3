// A run's history as the page lists it, and the body of a fork request from the page, checked.
import { checkContextPatch, statePaths, type HistoryEntry } from '../runtime/index.ts';
import { callCountText, countCalls } from '../runtime/paid-calls.ts';
import { assertRunId, type RunStore } from '../store/index.ts';
import { HttpError } from './http.ts';

/** One kept checkpoint, with its active states spelled out as the diagram names them, and its calls counted. */
export interface HistoryRow extends HistoryEntry {
  active: string[];
  /** The calls journaled by then, as every command counts them (`3 paid, 4 reused`). */
  calls: string;
}

export interface HistoryView {
  runId: string;
  checkpoints: HistoryRow[];
}

/** A run's checkpoints; each one's calls are the first `journalCount` entries of the journal (it only grows). */
export async function historyView(store: Pick<RunStore, 'history' | 'read'>, runId: string): Promise<HistoryView> {
  const history = await store.history(runId);
  const journal = history.length === 0 ? [] : (await store.read(runId)).journal;
  return {
    runId,
    checkpoints: history.map((entry) => ({
      ...entry,
      active: entry.value === null ? [] : statePaths(entry.value),
      calls: callCountText(countCalls(journal.slice(0, entry.journalCount))),
    })),
  };
}

/** What `POST /api/runs/:id/fork` asks: the checkpoint, and optionally the new run's id and a root context patch. */
export interface ForkRequest {
  at: number;
  newRunId?: string;
  contextPatch?: Record<string, unknown>;
}

/** The fork body `{ at, runId?, contextPatch? }`: 400 for a seq that is no positive integer, InvalidRunId, InputError. */
export function forkRequestOf(body: unknown): ForkRequest {
  const { at, runId, contextPatch } = (typeof body === 'object' && body !== null ? body : {}) as { at?: unknown; runId?: unknown; contextPatch?: unknown };
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 1) {
    throw new HttpError(400, 'fork needs a JSON body { "at": <seq>, "runId"?: "new-id", "contextPatch"?: {…} } with a checkpoint seq from 1');
  }
  if (runId !== undefined && typeof runId !== 'string') throw new HttpError(400, 'runId must be a string: the new run\'s id');
  return {
    at,
    ...(runId !== undefined && runId.trim() !== '' ? { newRunId: assertRunId(runId.trim()) } : {}),
    ...(contextPatch !== undefined ? { contextPatch: checkContextPatch(contextPatch) } : {}),
  };
}
