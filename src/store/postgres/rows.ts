// Rows as the store reads them back: the queries that fetch a run or a listing, and their checks into records.
import { z } from 'zod';
import { assembleHead, timelineKept, withCalls } from '../assemble.ts';
import { CorruptRunError } from '../errors.ts';
import { Journal } from '../journal.ts';
import { applyDelta } from '../json-delta.ts';
import { blockedSchema, checkpointSchema, runMetaSchema, runRecordSchema, versionOf, type RunRecord, type RunSummary } from '../record.ts';
import type { Checkpoint, HistoricCheckpoint, HistoryEntry, RunHead } from '../types.ts';


/**
 * A whole run in one statement, so meta, checkpoint, journal and timeline come from one snapshot of the database.
 * json_agg and json_build_object pass each stored text through unparsed; the journal's epoch column is authoritative:
 * it is what fencing and "the higher epoch wins" were decided on.
 */
export function recordQuery(s: string): string {
  return `SELECT ${headColumns(s)},
    (SELECT coalesce(json_agg(json_build_object('entry', j.entry, 'epoch', j.epoch) ORDER BY j.seq), '[]'::json)
       FROM ${s}.journal j WHERE j.run_id = r.run_id) AS journal,
    (SELECT coalesce(json_agg(t.entry ORDER BY t.seq), '[]'::json)
       FROM (SELECT seq, entry FROM ${s}.timeline WHERE run_id = r.run_id ORDER BY seq DESC LIMIT ${timelineKept}) t) AS timeline
  FROM ${s}.runs r WHERE r.run_id = $1`;
}

/** A run's row without its journal and timeline. */
export function headQuery(s: string): string {
  return `SELECT ${headColumns(s)} FROM ${s}.runs r WHERE r.run_id = $1`;
}

/** Meta, epoch, and the latest checkpoint as the run row's whole one and the history rows after it. */
function headColumns(s: string): string {
  return `r.meta, r.checkpoint, r.epoch, r.updated_at,
    (SELECT coalesce(json_agg(json_build_object('checkpoint', c.checkpoint, 'delta', c.delta) ORDER BY c.seq), '[]'::json)
       FROM ${s}.checkpoints c WHERE c.run_id = r.run_id AND c.seq > coalesce(r.checkpoint_seq, r.history_seq)) AS since`;
}

const journalRows = z.array(z.object({ entry: z.record(z.string(), z.unknown()), epoch: z.number().int() }));

export interface HeadRow {
  meta: unknown;
  checkpoint: unknown;
  /** bigint arrives as a string: pg will not guess that it fits a JS number. */
  epoch: string;
  updated_at: Date;
  /** The history rows after the run row's whole checkpoint, oldest first. */
  since: unknown;
}

export interface RecordRow extends HeadRow {
  journal: unknown;
  timeline: unknown;
}

const chainRows = z.array(z.object({ checkpoint: z.unknown(), delta: z.unknown() }));

/**
 * A checkpoint rebuilt from a whole one and the history rows after it: each row is whole again or a change to the
 * one before it. Anything that does not replay is damage, named as such.
 */
function replayChain(start: unknown, rows: unknown, runId: string, what: string): unknown {
  let state = start;
  for (const row of check(chainRows, rows, runId, `${what}'s history rows`)) {
    if (row.checkpoint !== null && row.checkpoint !== undefined) state = row.checkpoint;
    else {
      try {
        state = applyDelta(state, row.delta);
      } catch (error) {
        throw new CorruptRunError(`run ${runId}: its ${what} cannot be rebuilt from its history rows in PostgreSQL (${error instanceof Error ? error.message : String(error)}); it was left untouched`);
      }
    }
  }
  return state;
}

function problem(error: z.ZodError): string {
  const first = error.issues[0];
  return first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown problem';
}

function check<S extends z.ZodType>(schema: S, value: unknown, runId: string, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptRunError(`run ${runId}: its ${what} in PostgreSQL is not valid (${problem(result.error)}); it was left untouched`);
  return result.data;
}

export function epochOf(value: string, runId: string): number {
  const epoch = Number(value);
  if (!Number.isSafeInteger(epoch)) throw new CorruptRunError(`run ${runId}: epoch ${value} is not a safe integer`);
  return epoch;
}

/** The row as a RunRecord, or CorruptRunError naming what is wrong. */
export function recordOf(row: RecordRow, runId: string): RunRecord {
  const head = headOf(row, runId);
  const stamped = check(journalRows, row.journal, runId, 'journal').map(({ entry, epoch }) => ({ ...entry, epoch }));
  const journal = new Journal(check(runRecordSchema.shape.journal, stamped, runId, 'journal'));
  return withCalls(head, journal.entries, check(runRecordSchema.shape.timeline, row.timeline, runId, 'timeline'));
}

/** The row's meta and checkpoint as a RunHead, or CorruptRunError naming what is wrong. */
export function headOf(row: HeadRow, runId: string): RunHead {
  const meta = check(runMetaSchema, row.meta, runId, 'meta');
  const checkpoint = check(checkpointSchema, replayChain(row.checkpoint, row.since, runId, 'checkpoint'), runId, 'checkpoint');
  return assembleHead(meta, { ...checkpoint, epoch: epochOf(row.epoch, runId), updatedAt: row.updated_at.toISOString() });
}

/** A listing reads the runs table's summary columns only: never a journal, a snapshot or a definition. */
export function summaryQuery(s: string): string {
  return `SELECT run_id, summary, status, updated_at, wake_at FROM ${s}.runs ORDER BY created_at DESC, run_id DESC`;
}

export interface SummaryRow {
  run_id: string;
  summary: unknown;
  status: unknown;
  updated_at: Date;
  wake_at: Date | null;
}

const summaryFields = z.object({
  workflowId: z.string(),
  createdAt: z.string(),
  tokens: z.number(),
  calls: z.number(),
  reused: z.number().optional(),
  activeMs: z.number(),
  flags: z.array(z.string()),
  blocked: blockedSchema.optional(),
  version: z.string().optional(),
  module: z.string().optional(),
});
type SummaryFields = z.infer<typeof summaryFields>;

/**
 * The summary column's JSON, written with every commit. It is a display copy: U+0000, which jsonb cannot hold, is
 * shown as U+FFFD here, while the checkpoint keeps the exact value.
 */
export function summaryJson(meta: Pick<RunRecord, 'workflow' | 'createdAt'>, checkpoint: Checkpoint): string {
  const fields: SummaryFields = {
    workflowId: meta.workflow.id,
    createdAt: meta.createdAt,
    tokens: checkpoint.usage.tokensIn + checkpoint.usage.tokensOut,
    calls: checkpoint.usage.calls,
    ...(checkpoint.usage.reused ? { reused: checkpoint.usage.reused } : {}),
    activeMs: checkpoint.activeMs,
    flags: checkpoint.flags,
    ...(checkpoint.blocked !== undefined ? { blocked: checkpoint.blocked } : {}),
    module: meta.workflow.module,
  };
  const version = versionOf({ version: checkpoint.version, workflow: meta.workflow });
  if (version !== undefined) fields.version = version;
  return JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'string' ? value.replaceAll('\u0000', '\ufffd') : value));
}

export function summaryOf(row: SummaryRow): RunSummary {
  const fields = check(summaryFields, row.summary, row.run_id, 'summary');
  return {
    runId: row.run_id,
    workflowId: fields.workflowId,
    status: check(runRecordSchema.shape.status, row.status, row.run_id, 'status'),
    createdAt: fields.createdAt,
    updatedAt: row.updated_at.toISOString(),
    activeMs: fields.activeMs,
    tokens: fields.tokens,
    calls: fields.calls,
    ...(fields.reused ? { reused: fields.reused } : {}),
    flags: fields.flags,
    wakeAt: row.wake_at ? row.wake_at.getTime() : null,
    ...(fields.blocked !== undefined ? { blocked: fields.blocked } : {}),
    ...(fields.version !== undefined ? { version: fields.version } : {}),
    ...(fields.module !== undefined ? { module: fields.module } : {}),
  };
}

/** A run's history without a snapshot: the status and state copies kept beside each checkpoint. */
export function historyQuery(s: string): string {
  return `SELECT seq, at, status, state, journal_count, version FROM ${s}.checkpoints WHERE run_id = $1 ORDER BY seq`;
}

export interface HistoryRow {
  seq: string;
  at: Date;
  status: unknown;
  state: unknown;
  version?: string | null;
  journal_count: number;
}

export function historyEntryOfRow(row: HistoryRow, runId: string): HistoryEntry {
  return {
    seq: epochOf(row.seq, runId),
    at: row.at.toISOString(),
    status: check(runRecordSchema.shape.status, row.status, runId, 'history status'),
    value: row.state ?? null,
    journalCount: row.journal_count,
    ...(typeof row.version === 'string' ? { version: row.version } : {}),
  };
}

/** A history row as a kept checkpoint is rebuilt from: whole, or a change to the row before it. */
export interface KeptRow {
  /** bigint as a string; null where the run has no such row (a LEFT JOIN that found none). */
  seq: string | null;
  checkpoint: unknown;
  delta: unknown;
  journal_count: number | null;
}

/** The checkpoint the last of `rows` keeps, rebuilt from the whole one they start with. */
export function historicCheckpointOf(rows: readonly KeptRow[], runId: string): HistoricCheckpoint {
  const [first, ...changes] = rows;
  const rebuilt = replayChain(first?.checkpoint ?? null, changes, runId, 'kept checkpoint');
  return { checkpoint: check(checkpointSchema, rebuilt, runId, 'kept checkpoint'), journalCount: rows.at(-1)?.journal_count ?? 0 };
}
