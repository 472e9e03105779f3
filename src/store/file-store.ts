// The file store: a directory per run (meta, journal, history, timeline, lock), an index derived by listing.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AtomicJsonFile, syncDirectory } from './atomic-json-file.ts';
import {
  assembleHead,
  assembleRecord,
  assertJournalCovers,
  checkpointNotFound,
  checkpointOf,
  historyEntryOf,
  initialCheckpoint,
  metaOf,
  withCalls,
  type CheckpointState,
} from './assemble.ts';
import { CancelPoller } from './cancel-poller.ts';
import { CorruptRunError, RunExistsError, RunNotFoundError } from './errors.ts';
import { FileSession } from './file-session.ts';
import { getFileVersion, putFileVersion } from './file-versions.ts';
import { storedMeta, VersionCache, withDefinition } from './versions.ts';
import { readLastKept } from './history-lines.ts';
import { toLines } from './ndjson.ts';
import { Journal } from './journal.ts';
import { RunLock } from './lock.ts';
import { summarize, type RunRecord, type RunSummary, type StoredJournalEntry, type TimelineEntry } from './record.ts';
import { assertRunId } from './run-id.ts';
import {
  checkpointFileSchema,
  latestState,
  metaFileSchema,
  readCheckpoint,
  readHistory,
  readJournal,
  readMeta,
  readTimeline,
  readV1,
  runPaths,
  type CheckpointFile,
  type MetaFile,
  type RunPaths,
} from './run-files.ts';
import type { HistoricCheckpoint, HistoryEntry, RunHead, RunListing, RunMeta, RunSession, RunStore, StoredVersion } from './types.ts';

export interface FileStoreOptions {
  /** Directory of runs (`snapshots/` by default in the CLI). */
  dir: string;
  /** fsync every journal append and history line (and new files' directory): durable against power loss, slower. */
  fsync?: boolean;
  /** A lock whose heartbeat is older than this is stale and may be taken over (default 30 s). */
  lockStaleMs?: number;
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

/**
 * Every read started at once, so their trips to libuv's thread pool overlap (on a loaded machine each trip waits for
 * a thread); the first failure in the order given is thrown, as if they had been read one after another.
 */
async function inOrder<T extends readonly unknown[] | []>(reads: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  for (const result of await Promise.allSettled(reads)) if (result.status === 'rejected') throw result.reason;
  return Promise.all(reads);
}


export class FileStore implements RunStore {
  readonly dir: string;
  readonly location: string;
  readonly #fsync: boolean;
  readonly #lockStaleMs: number | undefined;
  readonly #cancels = new CancelPoller();
  readonly #versions = new VersionCache();

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.location = options.dir;
    this.#fsync = options.fsync ?? false;
    this.#lockStaleMs = options.lockStaleMs;
  }

  /** One directory, its lock and run.json: the journal, history and timeline appear with their first lines. */
  async create(meta: RunMeta): Promise<RunSession> {
    const runId = assertRunId(meta.runId);
    const paths = runPaths(this.dir, runId);
    if (existsSync(paths.v1)) throw new RunExistsError(`run ${runId} already exists in ${this.dir}`);
    await this.#claim(paths, runId);
    let lock: RunLock | undefined;
    try {
      lock = this.#acquire(paths, runId);
      const stored = metaOf(meta);
      await this.#writeWhole(paths.meta, `${JSON.stringify(storedMeta({ format: 2, ...stored }))}\n`, 'wx');
      const state: CheckpointState = { ...initialCheckpoint(), epoch: 1, updatedAt: stored.createdAt };
      return this.#session(paths, lock, stored, state, new Journal(), [], 1);
    } catch (error) {
      lock?.release();
      await rm(paths.dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Makes the run's directory, which claims the id: of two concurrent creates, one gets EEXIST. */
  async #claim(paths: RunPaths, runId: string): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        if (this.#fsync) await mkdir(paths.dir);
        else mkdirSync(paths.dir); // as #writeWhole: no thread-pool trip on every run's create
        return;
      } catch (error) {
        if (errorCode(error) === 'EEXIST') throw new RunExistsError(`run ${runId} already exists in ${this.dir}`);
        if (errorCode(error) !== 'ENOENT' || tries > 0) throw error;
        await mkdir(this.dir, { recursive: true }); // the store's first run
      }
    }
  }

  async open(id: string): Promise<RunSession> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    const converted = existsSync(paths.meta);
    if (!converted && !existsSync(paths.v1)) throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
    // A copied directory, or a first-release file that is not a run, is refused before anything is created.
    if (converted) await readMeta(paths, runId);
    else {
      await readV1(paths, runId);
      await mkdir(paths.dir, { recursive: true });
    }
    const lock = this.#acquire(paths, runId);
    try {
      if (!existsSync(paths.meta)) await this.#convert(paths, runId, lock);
      else if (existsSync(paths.v1)) await rename(paths.v1, paths.v1Converted); // a conversion cut short at its end
      const [meta, exported, history, journal, timeline] = await inOrder([
        this.#meta(paths, runId),
        readCheckpoint(paths),
        readLastKept(paths.history),
        readJournal(paths),
        readTimeline(paths),
      ]);
      const { last } = history;
      const journalEntries = new Journal(journal.entries);
      // Before anything is written, the torn tails below included: a refused run is left exactly as found.
      if (last) assertJournalCovers(runId, paths.journal, journalEntries.entries.length, last.seq, last.journalCount);
      // A crash mid-append leaves a torn line; the next append must not be glued onto it.
      for (const [path, read] of [[paths.journal, journal], [paths.timeline, timeline], [paths.history, history]] as const) {
        if (read.size > read.validBytes) await truncate(path, read.validBytes); // sizes as read: only this lock's holder writes
      }
      const state = latestState(exported, last, meta.createdAt);
      const bumped: CheckpointState = { ...state, epoch: state.epoch + 1, updatedAt: new Date().toISOString() };
      // The bumped epoch must outlive this session even if it commits nothing.
      await this.#exportFile(paths, lock).write({ ...bumped, seq: last?.seq ?? 0 });
      return this.#session(paths, lock, meta, bumped, journalEntries, timeline.entries, (last?.seq ?? 0) + 1);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async read(id: string): Promise<RunRecord> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (!existsSync(paths.meta)) return this.#unconverted(paths, runId);
    const head = await this.#head(paths, runId);
    const journal = new Journal((await readJournal(paths)).entries);
    return withCalls(head, journal.entries, (await readTimeline(paths)).entries);
  }

  /** Meta and the history's tail only: the journal and timeline, which grow with the run, are not read. */
  async readHead(id: string): Promise<RunHead> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (!existsSync(paths.meta)) return this.#unconverted(paths, runId);
    return this.#head(paths, runId);
  }

  async #head(paths: RunPaths, runId: string): Promise<RunHead> {
    const [meta, exported, history] = await inOrder([this.#meta(paths, runId), readCheckpoint(paths), readLastKept(paths.history)]);
    return assembleHead(meta, latestState(exported, history.last, meta.createdAt));
  }

  /** A run with no run.json: one of the first release (one file), or the refusal for what is there. */
  async #unconverted(paths: RunPaths, runId: string): Promise<RunRecord> {
    if (existsSync(paths.v1)) return readV1(paths, runId);
    if (existsSync(paths.dir)) throw new CorruptRunError(`${paths.dir} has no run.json (an interrupted create?); it was left untouched`);
    throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
  }

  /** The latest checkpoint, read without the lock: a driver may be appending (its torn last line is left out). */
  async #latest(paths: RunPaths, meta: RunMeta): Promise<CheckpointState> {
    const [exported, history] = await inOrder([readCheckpoint(paths), readLastKept(paths.history)]);
    return latestState(exported, history.last, meta.createdAt);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    return (await this.#history(id)).map(historyEntryOf);
  }

  async checkpointAt(id: string, seq: number): Promise<HistoricCheckpoint> {
    const runId = assertRunId(id);
    const history = await this.#history(runId);
    const kept = history.find((entry) => entry.seq === seq);
    if (kept === undefined) throw checkpointNotFound(runId, seq, history.length);
    return { checkpoint: kept.checkpoint, journalCount: kept.journalCount };
  }

  /** A run's kept checkpoints, read without its lock: a driver may be appending (its torn last line is left out). */
  async #history(id: string) {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (existsSync(paths.meta)) {
      await readMeta(paths, runId);
      return (await readHistory(paths)).entries;
    }
    await this.read(runId); // a first-release run (no history yet), or the refusal for what is there
    return [];
  }

  /** Every run, newest first, both layouts; what cannot be read is reported with the reason, never hidden. */
  async list(): Promise<RunListing> {
    let entries: { name: string; isDirectory: () => boolean }[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { runs: [], unreadable: [] };
      throw error;
    }
    const found = new Map<string, string>(); // run id → the entry it was found by
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) found.set(entry.name, `${entry.name}/`);
      else if (entry.name.endsWith('.json')) {
        const runId = entry.name.slice(0, -'.json'.length);
        if (!found.has(runId)) found.set(runId, entry.name);
      }
    }
    const runs: RunSummary[] = [];
    const unreadable: RunListing['unreadable'] = [];
    for (const [runId, file] of found) {
      try {
        runs.push(await this.#summary(runId));
      } catch (error) {
        unreadable.push({ file, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
    return { runs, unreadable };
  }

  /**
   * A run's summary from its meta and latest checkpoint only (the history's tail): a listing must not read every
   * journal in the directory. A damaged journal therefore shows in `read` and `open`, not here.
   */
  async #summary(id: string): Promise<RunSummary> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (!existsSync(paths.meta)) return summarize(await this.read(runId));
    const meta = await readMeta(paths, runId);
    return summarize(assembleHead(meta, await this.#latest(paths, meta)));
  }

  async requestCancel(id: string): Promise<void> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (!existsSync(paths.meta) && !existsSync(paths.v1)) throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
    await mkdir(paths.dir, { recursive: true }); // a first-release run has no directory until it is opened
    await writeFile(paths.cancel, `${new Date().toISOString()}\n`);
  }

  watchCancel(runId: string, cancel: () => void): () => void {
    return this.#cancels.watch(runPaths(this.dir, assertRunId(runId)).cancel, cancel);
  }

  async clearCancel(runId: string): Promise<void> {
    await rm(runPaths(this.dir, assertRunId(runId)).cancel, { force: true });
  }

  /** A run's meta with its definition, which a run on a version reads from the version (stored once, not per run). */
  async #meta(paths: RunPaths, runId: string): Promise<RunMeta> {
    return withDefinition(await readMeta(paths, runId), (hash) => this.getVersion(hash));
  }

  putVersion(version: StoredVersion): Promise<void> {
    return putFileVersion(this.dir, version, this.#fsync);
  }

  getVersion(hash: string): Promise<StoredVersion> {
    return this.#versions.get(hash, (wanted) => getFileVersion(this.dir, wanted));
  }

  /** Rewrites a first-release run as a directory, then keeps the old file aside: nothing is lost. */
  async #convert(paths: RunPaths, runId: string, lock: RunLock): Promise<void> {
    const record = await readV1(paths, runId);
    const state: CheckpointState = { ...checkpointOf(record), epoch: record.epoch, updatedAt: record.updatedAt };
    if (record.journal.length > 0) await this.#writeWhole(paths.journal, toLines(record.journal));
    if (record.timeline.length > 0) await this.#writeWhole(paths.timeline, toLines(record.timeline));
    await this.#exportFile(paths, lock).write({ ...state, seq: 0 });
    await this.#metaFile(paths, lock).write({ format: 2, ...metaOf(record) }); // last: a directory with it is complete
    await rename(paths.v1, paths.v1Converted);
  }

  /**
   * Writes a file in place, no rename: only files no one else can be writing (a run directory just made, or being
   * converted under its lock). `wx` also refuses to replace one that is there.
   */
  async #writeWhole(path: string, text: string, flag: 'w' | 'wx' = 'w'): Promise<void> {
    // Without fsync, synchronous: a run's create waits for no thread-pool trip (see append-file.ts).
    if (!this.#fsync) return writeFileSync(path, text, { flag });
    const file = await open(path, flag);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await syncDirectory(dirname(path));
  }

  #session(paths: RunPaths, lock: RunLock, meta: RunMeta, state: CheckpointState, journal: Journal, timeline: TimelineEntry[], nextSeq: number): FileSession {
    return new FileSession({
      paths,
      lock,
      record: assembleRecord(meta, state, journal.entries, timeline),
      journal,
      nextSeq,
      exported: this.#exportFile(paths, lock),
      meta: this.#metaFile(paths, lock),
      fsync: this.#fsync,
    });
  }

  /** checkpoint.json; every write checks, right before its rename, that this lock still holds the run. */
  #exportFile(paths: RunPaths, lock: RunLock): AtomicJsonFile<CheckpointFile> {
    return new AtomicJsonFile(paths.checkpoint, {
      parse: (text) => checkpointFileSchema.parse(JSON.parse(text)),
      fsync: this.#fsync,
      beforeRename: () => lock.checkHeld(),
    });
  }

  #metaFile(paths: RunPaths, lock: RunLock): AtomicJsonFile<MetaFile> {
    return new AtomicJsonFile(paths.meta, {
      parse: (text) => metaFileSchema.parse(JSON.parse(text)),
      fsync: this.#fsync,
      beforeRename: () => lock.checkHeld(),
    });
  }

  #acquire(paths: RunPaths, runId: string): RunLock {
    return RunLock.acquire(paths.lock, runId, this.#lockStaleMs !== undefined ? { staleMs: this.#lockStaleMs } : {});
  }
}
