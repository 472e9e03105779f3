// The lowdb file store: one JSON file per run in a directory, a lock per driven run, an index derived by listing.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { DurableJsonFile } from './durable-file.ts';
import { CorruptRunError, RunExistsError, RunNotFoundError } from './errors.ts';
import { RunLock } from './lock.ts';
import { runRecordSchema, summarize, type RunRecord, type RunSummary } from './record.ts';
import { assertRunId } from './run-id.ts';

export interface FileStoreOptions {
  /** Directory of run files (`snapshots/` by default in the CLI). */
  dir: string;
  /** fsync every write (temp file and directory): durable against power loss, slower. */
  fsync?: boolean;
  lockStaleMs?: number;
}

/** A run this process drives: its record in memory, written back (coalesced) on `save()`. */
export class RunHandle {
  readonly #db: Low<RunRecord>;
  readonly #lock: RunLock;
  #dirty = false;
  #written = false;
  #writing: Promise<void> | undefined;

  constructor(db: Low<RunRecord>, lock: RunLock) {
    this.#db = db;
    this.#lock = lock;
  }

  get record(): RunRecord {
    return this.#db.data;
  }

  /**
   * Persists the record. Calls made while a write is under way share the next write, so a burst of snapshot changes
   * costs one serialisation; the returned promise resolves once a write that includes this call's state is on disk.
   */
  save(): Promise<void> {
    this.#dirty = true;
    if (!this.#writing) {
      // Cleared once settled, never inside #drain: a drain that fails before its first await (a fenced lock) would
      // clear it before it was set, and every later save() would get the old rejection without writing.
      const writing = this.#drain().finally(() => {
        if (this.#writing === writing) this.#writing = undefined;
      });
      this.#writing = writing;
    }
    return this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      this.#lock.assertHeld();
      this.#db.data.updatedAt = new Date().toISOString();
      await this.#db.write();
      this.#written = true;
    }
  }

  /** Waits for pending writes and gives the run back. */
  async close(): Promise<void> {
    try {
      if (!this.#written) await this.save();
      if (this.#writing) await this.#writing;
    } finally {
      this.#lock.release();
    }
  }
}

export class FileStore {
  readonly dir: string;
  readonly #fsync: boolean;
  readonly #lockStaleMs: number | undefined;

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.#fsync = options.fsync ?? false;
    this.#lockStaleMs = options.lockStaleMs;
  }

  pathOf(runId: string): string {
    return join(this.dir, `${assertRunId(runId)}.json`);
  }

  lockPathOf(runId: string): string {
    return join(this.dir, `${assertRunId(runId)}.lock`);
  }

  /** Reads and validates a run file; a damaged one is reported, never rewritten. */
  read(runId: string): RunRecord {
    const path = this.pathOf(runId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CorruptRunError(`run file ${path} is not valid JSON; it was left untouched`);
    }
    const parsed = runRecordSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unknown problem';
      throw new CorruptRunError(`run file ${path} is not a run record (${where}); it was left untouched`);
    }
    return parsed.data;
  }

  /** Every run, newest first; unreadable files are listed as errors rather than hidden. */
  list(): { runs: RunSummary[]; unreadable: { file: string; reason: string }[] } {
    if (!existsSync(this.dir)) return { runs: [], unreadable: [] };
    const runs: RunSummary[] = [];
    const unreadable: { file: string; reason: string }[] = [];
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      try {
        runs.push(summarize(this.read(file.slice(0, -'.json'.length))));
      } catch (error) {
        unreadable.push({ file, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
    return { runs, unreadable };
  }

  /**
   * Starts a new run, locked by this process. Its file is written by the first `save()` (a run's first checkpoint
   * comes before any model call can finish) or at the latest by `close()`.
   */
  async create(record: RunRecord): Promise<RunHandle> {
    mkdirSync(this.dir, { recursive: true });
    return this.#locked(record.runId, false, () => {
      if (existsSync(this.pathOf(record.runId))) throw new RunExistsError(`run ${record.runId} already exists in ${this.dir}`);
      return record;
    });
  }

  /** Takes an existing run to drive it: locks it, reads it once, and bumps its epoch on disk before handing it over. */
  async open(runId: string): Promise<RunHandle> {
    if (!existsSync(this.pathOf(runId))) throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
    return this.#locked(runId, true, () => {
      const record = this.read(runId);
      record.epoch += 1;
      return record;
    });
  }

  /** Locks the run and hands over the record `prepare` returns (written first if `write`); unlocks if anything fails. */
  async #locked(runId: string, write: boolean, prepare: () => RunRecord): Promise<RunHandle> {
    const lock = this.#lock(runId);
    try {
      const handle = new RunHandle(this.#db(prepare()), lock);
      if (write) await handle.save();
      return handle;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  #lock(runId: string): RunLock {
    return RunLock.acquire(this.lockPathOf(runId), runId, this.#lockStaleMs !== undefined ? { staleMs: this.#lockStaleMs } : {});
  }

  #db(record: RunRecord): Low<RunRecord> {
    const path = this.pathOf(record.runId);
    const adapter = this.#fsync
      ? new DurableJsonFile<RunRecord>(path)
      : new DataFile<RunRecord>(path, { parse: (text) => JSON.parse(text) as RunRecord, stringify: (data) => JSON.stringify(data) });
    return new Low(adapter, record);
  }
}
