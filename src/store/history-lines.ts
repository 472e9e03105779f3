// history.ndjson's lines: a whole checkpoint now and then, otherwise what changed since the session's previous commit.
import { open, readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { KeptCheckpoint } from './assemble.ts';
import { CorruptRunError } from './errors.ts';
import { DeltaChain, type ChainLink } from './delta-chain.ts';
import { applyDelta } from './json-delta.ts';
import { isMissing, parseLines } from './ndjson.ts';
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


/** Every kept checkpoint, oldest first; a torn last line (a crash mid-append) is left out. */
export function parseHistory(bytes: Buffer, file: string): { entries: KeptLine[]; validBytes: number } {
  const { items, validBytes } = parseLines(bytes, file, isHistoryLine, 'a kept checkpoint');
  return { entries: items.map(replayer(file)), validBytes };
}

/**
 * The last kept checkpoint, read from the end of the file back to the whole checkpoint its delta chain starts from:
 * a cost that follows the checkpoint's size (the writer keeps chains under about one whole checkpoint of bytes), not
 * the run's length. `validBytes`: where the next append must start (a torn tail is cut there); `size`: the file's.
 */
export async function readLastKept(file: string): Promise<{ last: KeptLine | null; validBytes: number; size: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return { last: null, validBytes: 0, size: 0 };
    throw error;
  }
  let size: number;
  try {
    ({ size } = await handle.stat());
    for (let window = 64 * 1024; ; window *= 4) {
      const start = Math.max(0, size - window);
      const bytes = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
      // The window's first line is likely cut: it starts after the first newline (none at all: widen the window).
      const from = start === 0 ? 0 : bytes.indexOf(0x0a) + 1;
      if (start > 0 && from === 0) continue;
      const found = lastChain(bytes.subarray(0, bytesRead), from);
      if (found === 'damaged') break; // the whole file's read below names the damaged line
      if (found === 'wider' && start > 0) continue;
      if (found === 'wider') return { last: null, validBytes: 0, size };
      const replay = replayer(file);
      let kept: KeptLine | null = null;
      for (const line of found.chain.reverse()) kept = replay(line);
      return { last: kept, validBytes: start + found.validEnd, size };
    }
  } finally {
    await handle.close();
  }
  // Reached only on damage inside a window: read it all, for the refusal that names the line.
  const whole = await readFile(file);
  const { entries, validBytes } = parseHistory(whole, file);
  return { last: entries.at(-1) ?? null, validBytes, size: whole.length };
}

/**
 * The last line's delta chain in a window of the file, scanned from its end: lines of the last line's epoch back to a
 * whole one, newest first, and where the last whole line ends. Only the lines needed are parsed. As in parseLines, a
 * line cut short at the end, or a last line that is not JSON, is a write that never completed; anything else that
 * does not read is damage (reported by a read of the whole file). 'wider': no whole line in the window; from the
 * file's start, that means deltas without one (replaying them reports it), or no line at all.
 */
function lastChain(bytes: Buffer, from: number): { chain: HistoryLine[]; validEnd: number } | 'wider' | 'damaged' {
  const chain: HistoryLine[] = [];
  let validEnd: number | undefined;
  let epoch: number | undefined;
  let lineEnd = bytes.lastIndexOf(0x0a);
  // Bytes after the last newline are a torn line; then nothing before it may be torn too.
  let tornSeen = bytes.subarray(lineEnd + 1).toString('utf8').trim() !== '';
  while (lineEnd >= from) {
    const end = lineEnd; // this line's newline
    // (lastIndexOf counts a negative offset from the buffer's end: a line at the very start is looked up apart.)
    const lineStart = Math.max(from, end > 0 ? bytes.lastIndexOf(0x0a, end - 1) + 1 : 0);
    const text = bytes.toString('utf8', lineStart, end);
    lineEnd = lineStart - 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (tornSeen || validEnd !== undefined) return 'damaged';
      tornSeen = true;
      continue;
    }
    if (!isHistoryLine(value)) return 'damaged';
    tornSeen = true;
    validEnd ??= end + 1;
    epoch ??= value.epoch ?? 0;
    if ((value.epoch ?? 0) !== epoch) continue;
    chain.push(value);
    if (value.checkpoint !== undefined) return { chain, validEnd };
  }
  return from === 0 && chain.length > 0 ? { chain, validEnd: validEnd ?? 0 } : 'wider';
}


/** A line ready to append, and the link of the session's chain it stores. */
export interface PreparedLine {
  text: string;
  link: ChainLink;
}

/** One session's side of the history: its chain of whole checkpoints and changes (see DeltaChain), as lines. */
export class HistoryWriter {
  readonly #epoch: number;
  readonly #chain = new DeltaChain();

  constructor(epoch: number) {
    this.#epoch = epoch;
  }

  /** Serialises the commit now: the caller may change its objects once commit has been called. */
  prepare(kept: KeptCheckpoint): PreparedLine {
    const head = JSON.stringify({ seq: kept.seq, at: kept.at, journalCount: kept.journalCount, epoch: this.#epoch }).slice(0, -1);
    const overhead = head.length + ',"delta":}\n'.length;
    const link = this.#chain.next(kept.checkpoint, overhead);
    const text = `${head},"${link.whole ? 'checkpoint' : 'delta'}":${link.json}}\n`;
    return { text, link };
  }

  /** The line was written: the next delta is taken against it. */
  written(line: PreparedLine): void {
    this.#chain.written(line.link);
  }

  /** A write that failed after its bytes may have gone out: the next line is whole. */
  restart(): void {
    this.#chain.restart();
  }
}
