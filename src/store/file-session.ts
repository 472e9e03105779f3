// One driver's session on a file-store run: journal appends, fenced checkpoint commits, and the lock it holds.
import { appendFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Low } from 'lowdb';
import { AtomicJsonFile } from './atomic-json-file.ts';
import { applyCheckpoint, checkpointOf, extendTimeline, type CheckpointState, type KeptCheckpoint } from './assemble.ts';
import { FencedError } from './errors.ts';
import type { Journal } from './journal.ts';
import type { RunLock } from './lock.ts';
import type { RunRecord, StoredJournalEntry, TimelineEntry } from './record.ts';
import type { MetaFile, RunPaths } from './run-files.ts';
import { storedMeta } from './versions.ts';
import type { Checkpoint, RunSession } from './types.ts';

export interface FileSessionParts {
  paths: RunPaths;
  lock: RunLock;
  record: RunRecord;
  journal: Journal;
  /** Open for appending, so an append costs the entry's bytes, not a reopen or a rewrite. */
  journalFile: FileHandle;
  timelineFile: FileHandle;
  /** history.ndjson, open for appending: one line per commit, the checkpoint's size. */
  historyFile: FileHandle;
  /** The seq the next commit is kept under (the last one in history.ndjson, plus one). */
  nextSeq: number;
  checkpoint: Low<CheckpointState>;
  meta: AtomicJsonFile<MetaFile>;
  fsync: boolean;
}

export class FileSession implements RunSession {
  readonly runId: string;
  readonly epoch: number;
  readonly record: RunRecord;
  readonly #parts: FileSessionParts;
  /** Writes run one at a time: two checkpoint renames in flight could land in the wrong order. */
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #nextSeq: number;

  constructor(parts: FileSessionParts) {
    this.#parts = parts;
    this.record = parts.record;
    this.runId = parts.record.runId;
    this.epoch = parts.record.epoch;
    this.#nextSeq = parts.nextSeq;
  }

  append(entry: StoredJournalEntry): Promise<void> {
    return this.#write(async () => {
      const stored: StoredJournalEntry = { ...entry, epoch: this.epoch };
      this.#parts.lock.assertHeld();
      const line = `${JSON.stringify(stored)}\n`;
      if (this.#parts.fsync) {
        await this.#parts.journalFile.appendFile(line);
        await this.#parts.journalFile.datasync();
      } else appendFileSync(this.#parts.journalFile.fd, line); // one line into the page cache: no thread-pool trip
      this.#parts.journal.put(stored);
    });
  }

  commit(checkpoint: Checkpoint, timeline: readonly TimelineEntry[] = []): Promise<void> {
    return this.#write(async () => {
      // Fenced by the adapter, right before its rename: a check here as well would only read the lock twice.
      const state: CheckpointState = { ...checkpointOf(checkpoint), epoch: this.epoch, updatedAt: new Date().toISOString() };
      this.#parts.checkpoint.data = state;
      await this.#parts.checkpoint.write();
      applyCheckpoint(this.record, state);
      // After the checkpoint too: a refused commit keeps nothing. One line of the checkpoint's size, never a rewrite.
      const kept: KeptCheckpoint = { seq: this.#nextSeq, at: state.updatedAt, journalCount: this.record.journal.length, checkpoint: checkpointOf(state) };
      const line = `${JSON.stringify(kept)}\n`;
      if (this.#parts.fsync) {
        await this.#parts.historyFile.appendFile(line);
        await this.#parts.historyFile.datasync();
      } else appendFileSync(this.#parts.historyFile.fd, line);
      this.#nextSeq += 1;
      if (timeline.length > 0) {
        // After the checkpoint, so a refused commit leaves no timeline behind; the timeline is history, not state.
        appendFileSync(this.#parts.timelineFile.fd, timeline.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
        extendTimeline(this.record.timeline, timeline);
      }
    });
  }

  migrate(hash: string, definition: unknown, version?: string): Promise<void> {
    return this.#write(async () => {
      this.#parts.lock.assertHeld();
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
      await this.#parts.meta.write(storedMeta(meta));
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
      await Promise.allSettled([this.#parts.journalFile.close(), this.#parts.timelineFile.close(), this.#parts.historyFile.close()]);
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
