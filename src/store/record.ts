// The run record: a run as read back from a store (meta + latest checkpoint + journal + timeline), and its checks.
import { z } from 'zod';
import { isStoredJournalEntry, isTimelineEntry } from './line-guards.ts';
import type { RunHead } from './types.ts';

export const runStatuses = ['running', 'waiting', 'stopped', 'parked', 'done', 'flagged', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Statuses after which a run never moves again. */
export const finalStatuses: readonly RunStatus[] = ['done', 'flagged', 'failed', 'cancelled'];

/**
 * Why a worker could not drive a run (its workflow module failed to load, its definition changed, a model no host
 * has): the run itself is unchanged and is tried again; the note goes with the next checkpoint a driver writes.
 */
export const blockedSchema = z.object({
  /** The refusal's HarnessError code (WORKFLOW_LOAD, DEFINITION_CHANGED, MISSING_MODELS, …). */
  code: z.string(),
  reason: z.string(),
  /** When it was first seen (ISO); a worker writes the note again only when the reason changes. */
  since: z.string(),
});
export type Blocked = z.infer<typeof blockedSchema>;

/** A model call as the store sees it: checked for the fields it sums and lists, the rest kept as written. */
export interface StoredCall {
  content: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  ttftMs: number | null;
  success: boolean;
  retries: number;
  score: number | null;
  /** A thinking model's reasoning, kept apart from `content`. */
  thinking?: string;
  metadata: { host: string };
}

export interface StoredJournalEntry {
  key: string;
  requestHash: string;
  step: string;
  result: StoredCall;
  judges?: StoredCall[];
  /** The messages sent (role and content, and tool calls where there were any). */
  messages?: { role: string; content: string }[];
  at: string;
  /** The epoch of the session that wrote it: where a stale driver's entry shares a key, the newer epoch wins. */
  epoch?: number;
  /** Set on an entry a fork copied in: the run that paid for the call (this run replays it, never pays it). */
  reusedFrom?: string;
}

/** Checked field by field (the hot fields, see line-guards.ts), but kept whole: unnamed fields (metadata) stay. */
export const journalEntrySchema = z.custom<StoredJournalEntry>(isStoredJournalEntry, {
  message: 'not a journal entry (key, requestHash, step, result, at)',
});

/** One event an actor received. */
export interface TimelineEntry {
  at: string;
  /** The actor that received the event, as a path from the root (`root`, `root/work.2`). */
  actor: string;
  event: string;
  /** The root's state value after the event, flattened (`review.security.deciding`). */
  state?: string[];
}

export const timelineEntrySchema = z.custom<TimelineEntry>(isTimelineEntry, { message: 'not a timeline entry (at, actor, event)' });

export const runRecordSchema = z.object({
  /** 1: the single-file layout of the first release (converted when read); 2: meta, journal and checkpoint apart. */
  format: z.union([z.literal(1), z.literal(2)]),
  runId: z.string(),
  workflow: z.object({
    id: z.string(),
    /** Absolute path of the workflow module when the run started. */
    module: z.string(),
    /** The same, relative to the directory the run was started from (for a moved checkout). */
    moduleRelative: z.string(),
    hash: z.string(),
    /**
     * The machine's definition at start (`machineDefinition`): what inspectors draw, without loading the module. A run
     * on a version stores none (its version holds it, once); stores fill it in when they read the run.
     */
    definition: z.unknown().optional(),
    /** The hash of the code the run started on (a stored version); absent for runs from before versions. */
    version: z.string().optional(),
  }),
  input: z.unknown(),
  status: z.enum(runStatuses),
  /** XState's persisted snapshot of the root actor, children included. */
  snapshot: z.record(z.string(), z.unknown()).nullable(),
  journal: z.array(journalEntrySchema),
  timeline: z.array(timelineEntrySchema),
  output: z.unknown().optional(),
  /** When the run next needs driving by itself (a deadline or a backoff), ms since the epoch; null when never. */
  wakeAt: z.number().nullable().optional(),
  /** Set while workers refuse the run (see blockedSchema); absent once a driver checkpoints it again. */
  blocked: blockedSchema.optional(),
  error: z.string().optional(),
  /** The version this checkpoint was written under (an upgrade moves it); absent: the run's starting version. */
  version: z.string().optional(),
  flags: z.array(z.string()),
  /** Fencing token: bumped by every driver that takes the run, so a stale one can tell it lost it. */
  epoch: z.number().int(),
  budget: z.object({ tokens: z.number().optional(), wallMs: z.number().optional() }),
  /**
   * Calls this run paid for (`calls`) and their tokens; `reused`: calls a fork copied from its source, `unanswered`:
   * attempts no model answered (see runtime/paid-calls.ts). Both absent in runs written before they were counted.
   */
  usage: z.object({ tokensIn: z.number(), tokensOut: z.number(), calls: z.number(), reused: z.number().optional(), unanswered: z.number().optional() }),
  /** Wall time spent being driven, summed over every driver (for the wall-time budget). */
  activeMs: z.number(),
  seed: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type RunRecord = z.infer<typeof runRecordSchema>;

/** The part of a run written once at its start (a migration may replace the definition). */
export const runMetaSchema = runRecordSchema.pick({ runId: true, workflow: true, input: true, budget: true, seed: true, createdAt: true });

/** The part of a run each commit replaces: what every store checks a stored checkpoint against. */
export const checkpointSchema = runRecordSchema.pick({
  status: true,
  snapshot: true,
  output: true,
  error: true,
  flags: true,
  usage: true,
  activeMs: true,
  wakeAt: true,
  blocked: true,
  version: true,
});

/** What listings show without the heavy parts (snapshot, journal, timeline). */
export interface RunSummary {
  runId: string;
  workflowId: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  activeMs: number;
  tokens: number;
  /** Calls paid for; `reused` (absent when none): calls a fork copied from its source and replayed. */
  calls: number;
  reused?: number;
  flags: string[];
  /**
   * When a waiting or parked run next needs driving (ms since the epoch); null when nothing but a person moves it.
   * Optional so stores written before it still type-check; read it as `wakeAt ?? null`.
   */
  wakeAt?: number | null;
  /** Why workers cannot drive the run now; absent when nothing blocks it. */
  blocked?: Blocked;
  /** The version (code hash) the run is on; absent for runs from before versions. */
  version?: string;
  /** The workflow module the run was started from (to tell whether the run is behind the file as it is now). */
  module?: string;
}

/**
 * The version a run is on: its latest checkpoint's (an upgrade commits the new version with the migrated snapshot,
 * in one write), else the one it started on; undefined for a run from before versions.
 */
export function versionOf(record: Pick<RunRecord, 'version' | 'workflow'>): string | undefined {
  return record.version ?? record.workflow.version;
}

export function summarize(record: RunHead): RunSummary {
  const version = versionOf(record);
  return {
    runId: record.runId,
    workflowId: record.workflow.id,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    activeMs: record.activeMs,
    tokens: record.usage.tokensIn + record.usage.tokensOut,
    calls: record.usage.calls,
    ...(record.usage.reused ? { reused: record.usage.reused } : {}),
    flags: record.flags,
    wakeAt: record.wakeAt ?? null,
    ...(record.blocked !== undefined ? { blocked: record.blocked } : {}),
    ...(version !== undefined ? { version } : {}),
    module: record.workflow.module,
  };
}
