// One driver's session on a file-store run: journal appends, fenced commits as one history line each, and its lock.
import { AppendFile } from './append-file.ts';
import type { AtomicJsonFile } from './atomic-json-file.ts';
import { applyCheckpoint, checkpointOf, extendTimeline, type KeptCheckpoint } from './assemble.ts';
import { FencedError } from './errors.ts';
import { HistoryWriter } from './history-lines.ts';
import { toLines } from './ndjson.ts';
import type { Journal } from './journal.ts';
import type { RunLock } from './lock.ts';
import type { RunRecord, StoredJournalEntry, TimelineEntry } from './record.ts';
import type { CheckpointFile, MetaFile, RunPaths } from './run-files.ts';
import { storedMeta } from './versions.ts';
import type { Checkpoint, RunSession } from './types.ts';

export interface FileSessionParts {
  paths: RunPaths;
  lock: RunLock;
  record: RunRecord;
  journal: Journal;
  /** The seq the next commit is kept under (the last one in history.ndjson, plus one). */
  nextSeq: number;
  /** checkpoint.json: written when a commit leaves the run at rest, for people and tools that read it. */
  exported: AtomicJsonFile<CheckpointFile>;
  meta: AtomicJsonFile<MetaFile>;
  fsync: boolean;
}

export class FileSession implements RunSession {
  readonly runId: string;
  readonly epoch: number;
  readonly record: RunRecord;
  readonly #parts: FileSessionParts;
  /** Open for appending from the first write to close, so a write costs its bytes, not a reopen or a rewrite. */
  readonly #journal: AppendFile;
  readonly #timeline: AppendFile;
  readonly #history: AppendFile;
  readonly #lines: HistoryWriter;
  /** Writes run one at a time: a history line is a change to the one before it. */
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #nextSeq: number;

  constructor(parts: FileSessionParts) {
    this.#parts = parts;
    this.record = parts.record;
    this.runId = parts.record.runId;
    this.epoch = parts.record.epoch;
    this.#nextSeq = parts.nextSeq;
    this.#journal = new AppendFile(parts.paths.journal, parts.fsync);
    this.#timeline = new AppendFile(parts.paths.timeline, parts.fsync);
    this.#history = new AppendFile(parts.paths.history, parts.fsync);
    this.#lines = new HistoryWriter(this.epoch);
  }

  append(entry: StoredJournalEntry): Promise<void> {
    return this.#write(async () => {
      const stored: StoredJournalEntry = { ...entry, epoch: this.epoch };
      const line = `${JSON.stringify(stored)}\n`;
      this.#parts.lock.checkHeld();
      await this.#journal.append(line);
      this.#parts.journal.put(stored);
    });
  }

  /**
   * One append to history.ndjson is the commit (a torn one never happened: readers take the last whole line). The
   * timeline's lines go beside it, and checkpoint.json is written only when the run comes to rest.
   */
  commit(checkpoint: Checkpoint, timeline: readonly TimelineEntry[] = []): Promise<void> {
    return this.#write(async () => {
      const kept: KeptCheckpoint = { seq: this.#nextSeq, at: new Date().toISOString(), journalCount: this.record.journal.length, checkpoint: checkpointOf(checkpoint) };
      const line = this.#lines.prepare(kept);
      const events = toLines(timeline);
      this.#parts.lock.checkHeld(); // nothing is written unless this session still holds the run
      try {
        await Promise.all([this.#history.append(line.text), events === '' ? undefined : this.#timeline.append(events)]);
      } catch (error) {
        this.#lines.restart(); // the line may have reached the file: the next one must not be read against either
        throw error;
      }
      this.#lines.written(line);
      this.#nextSeq += 1;
      const state = { ...kept.checkpoint, epoch: this.epoch, updatedAt: kept.at };
      applyCheckpoint(this.record, state);
      extendTimeline(this.record.timeline, timeline);
      if (state.status !== 'running') await this.#parts.exported.write({ ...state, seq: kept.seq });
    });
  }

  migrate(hash: string, definition: unknown, version?: string): Promise<void> {
    return this.#write(async () => {
      const workflow = { ...this.record.workflow, hash, definition, ...(version !== undefined ? { version } : {}) };
      const meta: MetaFile = {
        format: 2,
        runId: this.record.runId,
        workflow,
        input: this.record.input,
        budget: this.record.budget,
        seed: this.record.seed,
        createdAt: this.record.createdAt,
      };
      await this.#parts.meta.write(storedMeta(meta)); // fenced right before its rename
      this.record.workflow = workflow;
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.#queue;
    } finally {
      await Promise.allSettled([this.#journal.close(), this.#timeline.close(), this.#history.close()]);
      this.#parts.lock.release(); // leaves the lock alone if a newer driver holds it
    }
  }

  #write(operation: () => Promise<void>): Promise<void> {
    if (this.#closing) return Promise.reject(new FencedError(`run ${this.runId}: this session is closed`));
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined); // one refused write must not refuse the ones after it
    return result;
  }
}
