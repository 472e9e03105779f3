// The file store's layout of one run (a directory of small files) and how each file is read and checked.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { checkpointOf, initialCheckpoint, timelineKept, type CheckpointState } from './assemble.ts';
import { CorruptRunError, RunNotFoundError } from './errors.ts';
import { parseHistory, type KeptLine } from './history-lines.ts';
import { isMissing, parseLines, tailStart } from './ndjson.ts';
import { isStoredJournalEntry, isTimelineEntry } from './line-guards.ts';
import { checkpointSchema, runMetaSchema, runRecordSchema, type RunRecord, type StoredJournalEntry, type TimelineEntry } from './record.ts';
import type { RunMeta } from './types.ts';

export interface RunPaths {
  dir: string;
  /** Written once at create: what never changes. */
  meta: string;
  journal: string;
  /**
   * A readable copy of the latest checkpoint, written when a run comes to rest (waiting, stopped, parked, final) and
   * when a driver takes it (the epoch it bumps): not at every commit. Absent until then.
   */
  checkpoint: string;
  timeline: string;
  /** Every checkpoint committed, one line each (whole, or what changed): appended, never rewritten; the latest is its last. */
  history: string;
  lock: string;
  cancel: string;
  /** The first release's single file, and where it goes once converted. */
  v1: string;
  v1Converted: string;
}

/** `runId` must already be checked with assertRunId: it becomes part of every path. */
export function runPaths(root: string, runId: string): RunPaths {
  const dir = join(root, runId);
  return {
    dir,
    meta: join(dir, 'run.json'),
    journal: join(dir, 'journal.ndjson'),
    checkpoint: join(dir, 'checkpoint.json'),
    timeline: join(dir, 'timeline.ndjson'),
    history: join(dir, 'history.ndjson'),
    lock: join(dir, 'lock'),
    cancel: join(dir, 'cancel'),
    v1: join(root, `${runId}.json`),
    v1Converted: join(root, `${runId}.json.v1-converted`),
  };
}

export const metaFileSchema = runMetaSchema.extend({ format: z.literal(2) });
export type MetaFile = z.infer<typeof metaFileSchema>;

export const checkpointFileSchema = checkpointSchema.extend({
  epoch: runRecordSchema.shape.epoch,
  updatedAt: runRecordSchema.shape.updatedAt,
  /** The history line it copies (0: none yet); absent in files of releases that rewrote it at every commit. */
  seq: z.number().int().min(0).optional(),
});
export type CheckpointFile = z.infer<typeof checkpointFileSchema>;


function problem(error: z.ZodError): string {
  const first = error.issues[0];
  return first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown problem';
}

/** Parses a JSON file against a schema; a missing file is `null`, a damaged one a CorruptRunError. */
async function readJson<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.infer<S> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CorruptRunError(`${path} is not valid JSON; it was left untouched`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CorruptRunError(`${path} is not ${what} (${problem(parsed.error)}); it was left untouched`);
  return parsed.data;
}

/** A run directory copied under another name would be driven as two runs sharing one history: refused. */
function checkRunId(found: string, expected: string, where: string): void {
  if (found !== expected) {
    throw new CorruptRunError(`${where} belongs to run ${found}, not ${expected} (copied or renamed?); it was left untouched`);
  }
}

export async function readMeta(paths: RunPaths, runId: string): Promise<RunMeta> {
  const meta = await readJson(paths.meta, metaFileSchema, 'a run meta file');
  if (meta === null) throw new RunNotFoundError(`no run ${runId} (${paths.meta} is missing)`);
  checkRunId(meta.runId, runId, paths.meta);
  const { format: _format, ...rest } = meta;
  return rest;
}

/** checkpoint.json, or null where none was written yet. */
export async function readCheckpoint(paths: RunPaths): Promise<CheckpointFile | null> {
  return readJson(paths.checkpoint, checkpointFileSchema, 'a checkpoint');
}

/**
 * The run's latest state: the history's last line, unless checkpoint.json copies it or something newer (the epoch a
 * driver bumped when it took the run; or a file of a release that wrote it before each history line).
 */
export function latestState(exported: CheckpointFile | null, last: KeptLine | null, createdAt: string): CheckpointState {
  if (last !== null && (exported === null || (exported.seq !== undefined && exported.seq < last.seq))) {
    return { ...checkpointOf(last.checkpoint), epoch: Math.max(last.epoch, exported?.epoch ?? 1), updatedAt: last.at };
  }
  if (exported !== null) {
    const { epoch, updatedAt } = exported;
    return { ...checkpointOf(exported), epoch, updatedAt };
  }
  return { ...initialCheckpoint(), epoch: 1, updatedAt: createdAt };
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isMissing(error)) return Buffer.alloc(0);
    throw error;
  }
}

/** What an append-only file held when read: its lines, where its complete lines end, and its size (past that: torn). */
interface ReadLines<T> {
  entries: T[];
  validBytes: number;
  size: number;
}

export async function readJournal(paths: RunPaths): Promise<ReadLines<StoredJournalEntry>> {
  const bytes = await readBytes(paths.journal);
  const { items, validBytes } = parseLines(bytes, paths.journal, isStoredJournalEntry, 'a journal entry');
  return { entries: items, validBytes, size: bytes.length };
}

/**
 * The timeline's last `timelineKept` entries, the tail a record carries: only those lines are parsed and checked (a
 * 1,000-step run's timeline holds three times as many). `validBytes` as in parseLines, for the whole file.
 */
export async function readTimeline(paths: RunPaths): Promise<ReadLines<TimelineEntry>> {
  const bytes = await readBytes(paths.timeline);
  const read = (from: number) => parseLines(bytes, paths.timeline, isTimelineEntry, 'a timeline entry', from);
  const from = tailStart(bytes, timelineKept);
  let tail = read(from);
  if (tail.items.length < timelineKept && from > 0) tail = read(0); // blank lines in the tail: it holds fewer entries
  return { entries: tail.items.slice(-timelineKept), validBytes: tail.validBytes, size: bytes.length };
}

/** A run of the first release: one file holding everything. */
export async function readV1(paths: RunPaths, runId: string): Promise<RunRecord> {
  const record = await readJson(paths.v1, runRecordSchema, 'a run record');
  if (record === null) throw new RunNotFoundError(`no run ${runId} (${paths.v1} is missing)`);
  checkRunId(record.runId, runId, paths.v1);
  return record;
}

/** The run's kept checkpoints, oldest first; a torn last line (a crash mid-append) is left out, as in the journal. */
export async function readHistory(paths: RunPaths): Promise<{ entries: KeptLine[]; validBytes: number }> {
  return parseHistory(await readBytes(paths.history), paths.history);
}
