// How a run's parts (meta, checkpoint, journal, timeline) make the RunRecord readers see, shared by every store.
import { CheckpointNotFoundError, CorruptRunError } from './errors.ts';
import type { RunRecord, TimelineEntry } from './record.ts';
import type { Checkpoint, HistoricCheckpoint, HistoryEntry, RunHead, RunMeta } from './types.ts';

/** The checkpoint as stored: the run's latest state plus the epoch of the driver that holds it. */
export interface CheckpointState extends Checkpoint {
  epoch: number;
  updatedAt: string;
}

/** How much of the timeline a record carries: the tail a person reads, not the run's whole history. */
export const timelineKept = 1000;

export function initialCheckpoint(): Checkpoint {
  return { status: 'running', snapshot: null, flags: [], usage: { tokensIn: 0, tokensOut: 0, calls: 0 }, activeMs: 0, wakeAt: null };
}

/**
 * Only the checkpoint's own fields: a caller may hand over a whole record (it is structurally a Checkpoint), and
 * copying its journal into every checkpoint would make each write grow with the run.
 */
export function checkpointOf(from: Checkpoint): Checkpoint {
  const checkpoint: Checkpoint = {
    status: from.status,
    snapshot: from.snapshot,
    flags: from.flags,
    usage: from.usage,
    activeMs: from.activeMs,
    wakeAt: from.wakeAt ?? null,
  };
  if (from.output !== undefined) checkpoint.output = from.output;
  if (from.error !== undefined) checkpoint.error = from.error;
  if (from.blocked !== undefined) checkpoint.blocked = from.blocked;
  if (from.version !== undefined) checkpoint.version = from.version;
  return checkpoint;
}

export function metaOf(from: RunMeta): RunMeta {
  return {
    runId: from.runId,
    workflow: { ...from.workflow },
    input: from.input,
    budget: from.budget,
    seed: from.seed,
    createdAt: from.createdAt,
  };
}

export function assembleHead(meta: RunMeta, state: CheckpointState): RunHead {
  return { format: 2, ...metaOf(meta), ...checkpointOf(state), epoch: state.epoch, updatedAt: state.updatedAt };
}

export function assembleRecord(
  meta: RunMeta,
  state: CheckpointState,
  journal: RunRecord['journal'],
  timeline: TimelineEntry[],
): RunRecord {
  return withCalls(assembleHead(meta, state), journal, timeline);
}

/** A head completed with its journal and timeline, in the field order a whole record has always been written in. */
export function withCalls(head: RunHead, journal: RunRecord['journal'], timeline: TimelineEntry[]): RunRecord {
  const { epoch, updatedAt, ...rest } = head;
  return { ...rest, journal, timeline, epoch, updatedAt };
}

/** Applies a commit to a record a session keeps current. */
export function applyCheckpoint(record: RunRecord, state: CheckpointState): void {
  const checkpoint = checkpointOf(state);
  record.status = checkpoint.status;
  record.snapshot = checkpoint.snapshot;
  record.flags = checkpoint.flags;
  record.usage = checkpoint.usage;
  record.activeMs = checkpoint.activeMs;
  record.wakeAt = checkpoint.wakeAt;
  record.output = checkpoint.output;
  record.error = checkpoint.error;
  record.blocked = checkpoint.blocked;
  record.version = checkpoint.version;
  record.epoch = state.epoch;
  record.updatedAt = state.updatedAt;
}

/** Adds timeline entries to an in-memory tail, dropping the oldest past `timelineKept`. */
export function extendTimeline(timeline: TimelineEntry[], entries: readonly TimelineEntry[]): void {
  timeline.push(...entries);
  if (timeline.length > timelineKept) timeline.splice(0, timeline.length - timelineKept);
}

/** A checkpoint as a run's history keeps it: the commit's seq and time, and the journal's length at that moment. */
export interface KeptCheckpoint extends HistoricCheckpoint {
  seq: number;
  at: string;
}

/** The history's view of a kept checkpoint: its snapshot left out, its state value kept. */
export function historyEntryOf(kept: KeptCheckpoint): HistoryEntry {
  const value = kept.checkpoint.snapshot?.['value'];
  const entry: HistoryEntry = { seq: kept.seq, at: kept.at, status: kept.checkpoint.status, value: value ?? null, journalCount: kept.journalCount };
  if (kept.checkpoint.version !== undefined) entry.version = kept.checkpoint.version;
  return entry;
}

/**
 * Refuses a run whose journal holds fewer calls than checkpoint `seq` was committed with: the journal only ever grows,
 * so it was emptied or cut (a torn last line is a write that never completed, and never counted). Driving such a run
 * would pay again for every call that is gone. `journal` names where the journal lives, for the message.
 */
export function assertJournalCovers(runId: string, journal: string | undefined, held: number, seq: number, journalCount: number): void {
  if (held >= journalCount) return;
  const calls = (n: number) => `${n} call${n === 1 ? '' : 's'}`;
  throw new CorruptRunError(
    `run ${runId}: its journal${journal === undefined ? '' : ` (${journal})`} holds ${calls(held)} but checkpoint ${seq} was written when it held ${journalCount}: ` +
      `it was emptied or cut, and driving the run would pay for the missing calls again; it was left untouched ` +
      `(restore the journal, or fork from a checkpoint it still covers: harness history ${runId})`,
  );
}

/** The refusal for an unknown seq, naming the seqs there are. */
export function checkpointNotFound(runId: string, seq: number, count: number): CheckpointNotFoundError {
  const there = count === 0 ? 'it has none yet' : count === 1 ? 'it has only 1' : `it has 1 to ${count}`;
  return new CheckpointNotFoundError(`run ${runId} has no checkpoint ${seq} (${there}; see harness history ${runId})`);
}
