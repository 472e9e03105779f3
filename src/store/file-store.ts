// The file store: a directory per run (meta, journal, checkpoint, timeline, lock), an index derived by listing.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { Low } from 'lowdb';
import { AtomicJsonFile, syncDirectory } from './atomic-json-file.ts';
import {
  assembleRecord,
  assertJournalCovers,
  checkpointNotFound,
  checkpointOf,
  historyEntryOf,
  initialCheckpoint,
  metaOf,
  timelineKept,
  type CheckpointState,
} from './assemble.ts';
import { CancelPoller } from './cancel-poller.ts';
import { CorruptRunError, RunExistsError, RunNotFoundError } from './errors.ts';
import { FileSession } from './file-session.ts';
import { getFileVersion, putFileVersion } from './file-versions.ts';
import { storedMeta, withDefinition } from './versions.ts';
import { Journal } from './journal.ts';
import { RunLock } from './lock.ts';
import { summarize, type RunRecord, type RunSummary, type StoredJournalEntry, type TimelineEntry } from './record.ts';
import { assertRunId } from './run-id.ts';
import {
  checkpointFileSchema,
  metaFileSchema,
  readCheckpoint,
  readHistory,
  readJournal,
  readMeta,
  readTimeline,
  readV1,
  runPaths,
  type MetaFile,
  type RunPaths,
} from './run-files.ts';
import type { HistoricCheckpoint, HistoryEntry, RunListing, RunMeta, RunSession, RunStore, StoredVersion } from './types.ts';

export interface FileStoreOptions {
  /** Directory of runs (`snapshots/` by default in the CLI). */
  dir: string;
  /** fsync every journal append and checkpoint (temp file and directory): durable against power loss, slower. */
  fsync?: boolean;
  /** A lock whose heartbeat is older than this is stale and may be taken over (default 30 s). */
  lockStaleMs?: number;
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

const lines = (values: readonly unknown[]): string => values.map((value) => `${JSON.stringify(value)}\n`).join('');

export class FileStore implements RunStore {
  readonly dir: string;
  readonly location: string;
  readonly #fsync: boolean;
  readonly #lockStaleMs: number | undefined;
  readonly #cancels = new CancelPoller();

  constructor(options: FileStoreOptions) {
    this.dir = options.dir;
    this.location = options.dir;
    this.#fsync = options.fsync ?? false;
    this.#lockStaleMs = options.lockStaleMs;
  }

  async create(meta: RunMeta): Promise<RunSession> {
    const runId = assertRunId(meta.runId);
    const paths = runPaths(this.dir, runId);
    await mkdir(this.dir, { recursive: true });
    if (existsSync(paths.v1)) throw new RunExistsError(`run ${runId} already exists in ${this.dir}`);
    try {
      await mkdir(paths.dir); // claims the id: of two concurrent creates, one gets EEXIST
    } catch (error) {
      if (errorCode(error) === 'EEXIST') throw new RunExistsError(`run ${runId} already exists in ${this.dir}`);
      throw error;
    }
    let lock: RunLock | undefined;
    try {
      lock = this.#acquire(paths, runId);
      const state: CheckpointState = { ...initialCheckpoint(), epoch: 1, updatedAt: new Date().toISOString() };
      await this.#writeRun(paths, lock, metaOf(meta), state, [], []);
      return await this.#session(paths, lock, metaOf(meta), state, new Journal(), [], 1);
    } catch (error) {
      lock?.release();
      await rm(paths.dir, { recursive: true, force: true });
      throw error;
    }
  }

  async open(id: string): Promise<RunSession> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    const converted = existsSync(paths.meta);
    if (!converted && !existsSync(paths.v1)) throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
    // A copied directory, or a first-release file that is not a run, is refused before anything is created.
    if (converted) await readMeta(paths, runId);
    else await readV1(paths, runId);
    await mkdir(paths.dir, { recursive: true });
    const lock = this.#acquire(paths, runId);
    try {
      if (!existsSync(paths.meta)) await this.#convert(paths, runId, lock);
      else if (existsSync(paths.v1)) await rename(paths.v1, paths.v1Converted); // a conversion cut short at its end
      const meta = await this.#meta(paths, runId);
      const state = await readCheckpoint(paths);
      const journal = await readJournal(paths);
      const timeline = await readTimeline(paths);
      const history = await readHistory(paths);
      const journalEntries = new Journal(journal.entries);
      const last = history.entries.at(-1);
      // Before anything is written, the torn tails below included: a refused run is left exactly as found.
      if (last) assertJournalCovers(runId, paths.journal, journalEntries.entries.length, last.seq, last.journalCount);
      // A crash mid-append leaves a torn line; the next append must not be glued onto it.
      await this.#cutTornTail(paths.journal, journal.validBytes);
      await this.#cutTornTail(paths.timeline, timeline.validBytes);
      await this.#cutTornTail(paths.history, history.validBytes);
      const nextSeq = (history.entries.at(-1)?.seq ?? 0) + 1;
      const bumped: CheckpointState = { ...state, epoch: state.epoch + 1, updatedAt: new Date().toISOString() };
      await this.#checkpointFile(paths, lock).write(bumped);
      return await this.#session(paths, lock, meta, bumped, journalEntries, timeline.entries.slice(-timelineKept), nextSeq);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async read(id: string): Promise<RunRecord> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (existsSync(paths.meta)) {
      const meta = await this.#meta(paths, runId);
      const state = await readCheckpoint(paths);
      const journal = new Journal((await readJournal(paths)).entries);
      const timeline = (await readTimeline(paths)).entries.slice(-timelineKept);
      return assembleRecord(meta, state, journal.entries, timeline);
    }
    if (existsSync(paths.v1)) return readV1(paths, runId);
    if (existsSync(paths.dir)) throw new CorruptRunError(`${paths.dir} has no run.json (an interrupted create?); it was left untouched`);
    throw new RunNotFoundError(`no run ${runId} in ${this.dir}`);
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
   * A run's summary from its meta and checkpoint only: a listing must not read every journal in the directory.
   * A damaged journal therefore shows in `read` and `open`, not here.
   */
  async #summary(id: string): Promise<RunSummary> {
    const runId = assertRunId(id);
    const paths = runPaths(this.dir, runId);
    if (!existsSync(paths.meta)) return summarize(await this.read(runId));
    const meta = await readMeta(paths, runId);
    return summarize(assembleRecord(meta, await readCheckpoint(paths), [], []));
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
    return getFileVersion(this.dir, hash);
  }

  /** Rewrites a first-release run as a directory, then keeps the old file aside: nothing is lost. */
  async #convert(paths: RunPaths, runId: string, lock: RunLock): Promise<void> {
    const record = await readV1(paths, runId);
    const state: CheckpointState = { ...checkpointOf(record), epoch: record.epoch, updatedAt: record.updatedAt };
    await this.#writeRun(paths, lock, metaOf(record), state, record.journal, record.timeline);
    await rename(paths.v1, paths.v1Converted);
  }

  /** Writes a whole run directory; run.json goes last, so a directory with it is complete. */
  async #writeRun(
    paths: RunPaths,
    lock: RunLock,
    meta: RunMeta,
    state: CheckpointState,
    journal: readonly StoredJournalEntry[],
    timeline: readonly TimelineEntry[],
  ): Promise<void> {
    await this.#writeWhole(paths.journal, lines(journal));
    await this.#writeWhole(paths.timeline, lines(timeline));
    await this.#writeWhole(paths.history, '');
    await this.#checkpointFile(paths, lock).write(state);
    await this.#metaFile(paths, lock).write(storedMeta({ format: 2, ...meta }));
  }

  async #writeWhole(path: string, text: string): Promise<void> {
    const file = await open(path, 'w');
    try {
      await file.writeFile(text);
      if (this.#fsync) await file.sync();
    } finally {
      await file.close();
    }
  }

  async #cutTornTail(path: string, validBytes: number): Promise<void> {
    try {
      if ((await stat(path)).size > validBytes) await truncate(path, validBytes);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  async #session(
    paths: RunPaths,
    lock: RunLock,
    meta: RunMeta,
    state: CheckpointState,
    journal: Journal,
    timeline: TimelineEntry[],
    nextSeq: number,
  ): Promise<FileSession> {
    const journalFile = await open(paths.journal, 'a');
    const timelineFile = await open(paths.timeline, 'a').catch(async (error: unknown) => {
      await journalFile.close();
      throw error;
    });
    const historyFile = await open(paths.history, 'a').catch(async (error: unknown) => {
      await Promise.allSettled([journalFile.close(), timelineFile.close()]);
      throw error;
    });
    if (this.#fsync) await syncDirectory(paths.dir);
    return new FileSession({
      paths,
      lock,
      record: assembleRecord(meta, state, journal.entries, timeline),
      journal,
      journalFile,
      timelineFile,
      historyFile,
      nextSeq,
      checkpoint: new Low(this.#checkpointFile(paths, lock), state),
      meta: this.#metaFile(paths, lock),
      fsync: this.#fsync,
    });
  }

  /** Every checkpoint write checks, right before its rename, that this lock still holds the run. */
  #checkpointFile(paths: RunPaths, lock: RunLock): AtomicJsonFile<CheckpointState> {
    return new AtomicJsonFile(paths.checkpoint, {
      parse: (text) => checkpointFileSchema.parse(JSON.parse(text)),
      fsync: this.#fsync,
      beforeRename: () => lock.assertHeld(),
    });
  }

  #metaFile(paths: RunPaths, lock: RunLock): AtomicJsonFile<MetaFile> {
    return new AtomicJsonFile(paths.meta, {
      parse: (text) => metaFileSchema.parse(JSON.parse(text)),
      fsync: this.#fsync,
      beforeRename: () => lock.assertHeld(),
    });
  }

  #acquire(paths: RunPaths, runId: string): RunLock {
    return RunLock.acquire(paths.lock, runId, this.#lockStaleMs !== undefined ? { staleMs: this.#lockStaleMs } : {});
  }
}
