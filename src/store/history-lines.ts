// history.ndjson's lines: a whole checkpoint now and then, otherwise what changed since the session's previous commit.
import { open } from 'node:fs/promises';
import { z } from 'zod';
import type { KeptCheckpoint } from './assemble.ts';
import { CorruptRunError } from './errors.ts';
import { applyDelta, diff } from './json-delta.ts';
import { parseLines } from './ndjson.ts';
import { checkpointSchema } from './record.ts';
import type { Checkpoint } from './types.ts';

/**
 * One line as written. `checkpoint` whole, or `delta` against the previous line of the same epoch: each session
 * starts with a whole one, so a stale driver's late line can never be read as a change to a newer driver's.
 */
const lineSchema = z.object({
  seq: z.number().int().min(1),
  at: z.string(),
  journalCount: z.number().int().min(0),
  /** The session that wrote it; absent in lines written before deltas (all whole). */
  epoch: z.number().int().optional(),
  checkpoint: z.unknown().optional(),
  delta: z.unknown().optional(),
});
type HistoryLine = z.infer<typeof lineSchema>;

const isHistoryLine = (value: unknown): value is HistoryLine => {
  const parsed = lineSchema.safeParse(value);
  return parsed.success && (parsed.data.checkpoint === undefined) !== (parsed.data.delta === undefined);
};
const isCheckpoint = (value: unknown): value is Checkpoint => checkpointSchema.safeParse(value).success;

/** A kept checkpoint with the epoch of the session that wrote it (0 for lines older than epochs in the history). */
export interface KeptLine extends KeptCheckpoint {
  epoch: number;
}

/** Rebuilds lines in file order: each delta applies to the checkpoint last rebuilt for its epoch. */
function replayer(file: string): (line: HistoryLine) => KeptLine {
  const latest = new Map<number, unknown>();
  return (line) => {
    const epoch = line.epoch ?? 0;
    let state: unknown = line.checkpoint;
    if (line.delta !== undefined) {
      if (!latest.has(epoch)) throw new CorruptRunError(`${file}: checkpoint ${line.seq} is a change to a checkpoint the file does not hold; it was left untouched`);
      try {
        state = applyDelta(latest.get(epoch), line.delta);
      } catch (error) {
        throw new CorruptRunError(`${file}: checkpoint ${line.seq} cannot be rebuilt (${error instanceof Error ? error.message : String(error)}); it was left untouched`);
      }
    }
    if (!isCheckpoint(state)) throw new CorruptRunError(`${file}: checkpoint ${line.seq} is not a checkpoint; it was left untouched`);
    latest.set(epoch, state);
    return { seq: line.seq, at: line.at, journalCount: line.journalCount, epoch, checkpoint: state };
  };
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/** Every kept checkpoint, oldest first; a torn last line (a crash mid-append) is left out. */
export function parseHistory(bytes: Buffer, file: string): { entries: KeptLine[]; validBytes: number } {
  const { items, validBytes } = parseLines(bytes, file, isHistoryLine, 'a kept checkpoint');
  return { entries: items.map(replayer(file)), validBytes };
}

/**
 * The last kept checkpoint, read from the end of the file back to the whole checkpoint its delta chain starts from:
 * a cost that follows the checkpoint's size (the writer keeps chains under about one whole checkpoint of bytes), not
 * the run's length. `validBytes`: where the next append must start (a torn tail is cut there).
 */
export async function readLastKept(file: string): Promise<{ last: KeptLine | null; validBytes: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return { last: null, validBytes: 0 };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    for (let window = 64 * 1024; ; window *= 4) {
      const start = Math.max(0, size - window);
      const bytes = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
      // The window's first line is likely cut: it starts after the first newline (none at all: widen the window).
      const from = start === 0 ? 0 : bytes.indexOf(0x0a) + 1;
      if (start > 0 && from === 0) continue;
      let parsed: { items: HistoryLine[]; validBytes: number };
      try {
        parsed = parseLines(bytes.subarray(from, bytesRead), file, isHistoryLine, 'a kept checkpoint');
      } catch (error) {
        if (start === 0 || !(error instanceof CorruptRunError)) throw error;
        break; // damage inside the window: the whole file's read below names its line

      }
      const { items } = parsed;
      const last = items.at(-1);
      if (last === undefined && start > 0) continue;
      const epoch = last?.epoch ?? 0;
      let first = -1;
      for (let i = items.length - 1; i >= 0 && first < 0; i--) {
        const item = items[i];
        if (item && (item.epoch ?? 0) === epoch && item.checkpoint !== undefined) first = i;
      }
      if (first < 0 && start > 0) continue;
      const replay = replayer(file);
      let kept: KeptLine | null = null;
      for (const item of items.slice(Math.max(0, first))) if ((item.epoch ?? 0) === epoch) kept = replay(item);
      return { last: kept, validBytes: start + from + parsed.validBytes };
    }
  } finally {
    await handle.close();
  }
  // Reached only on damage inside a window: read it all, for the refusal that names the line.
  const { entries, validBytes } = parseHistory(await readWhole(file), file);
  return { last: entries.at(-1) ?? null, validBytes };
}

async function readWhole(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** A line ready to append, and what the writer remembers once it has been written. */
export interface PreparedLine {
  text: string;
  whole: boolean;
  /** The checkpoint as a reader will rebuild it from this line. */
  rebuilt: unknown;
}

/**
 * One session's side of the history: it keeps the checkpoint as last written (as a reader rebuilds it, never the
 * caller's objects, which may change) and writes what changed since. A whole checkpoint goes first, and again once the
 * changes written since the last whole one add up to more than it: reading the latest costs at most about two whole
 * checkpoints, and each commit's bytes follow the size of its change.
 */
export class HistoryWriter {
  readonly #epoch: number;
  #last: unknown;
  #started = false;
  #wholeBytes = 0;
  #sinceWhole = 0;

  constructor(epoch: number) {
    this.#epoch = epoch;
  }

  /** Serialises the commit now: the caller may change its objects once commit has been called. */
  prepare(kept: KeptCheckpoint): PreparedLine {
    const head = { seq: kept.seq, at: kept.at, journalCount: kept.journalCount, epoch: this.#epoch };
    if (this.#started) {
      const delta = diff(this.#last, kept.checkpoint) ?? [1, {}];
      const text = `${JSON.stringify({ ...head, delta })}\n`;
      if (this.#sinceWhole + text.length <= this.#wholeBytes) {
        const parsed: { delta: unknown } = JSON.parse(text);
        return { text, whole: false, rebuilt: applyDelta(this.#last, parsed.delta) };
      }
    }
    const text = `${JSON.stringify({ ...head, checkpoint: kept.checkpoint })}\n`;
    const parsed: { checkpoint: unknown } = JSON.parse(text);
    return { text, whole: true, rebuilt: parsed.checkpoint };
  }

  /** The line was written: the next delta is taken against it. */
  written(line: PreparedLine): void {
    this.#last = line.rebuilt;
    this.#started = true;
    if (line.whole) {
      this.#wholeBytes = line.text.length;
      this.#sinceWhole = 0;
    } else this.#sinceWhole += line.text.length;
  }
}
