// The memory store: the RunStore contract in one process's memory, for tests and runs that need not survive it.
import {
  applyCheckpoint,
  assembleHead,
  assembleRecord,
  checkpointNotFound,
  checkpointOf,
  extendTimeline,
  historyEntryOf,
  initialCheckpoint,
  metaOf,
  type CheckpointState,
  type KeptCheckpoint,
} from './assemble.ts';
import { FencedError, RunExistsError, RunLockedError, RunNotFoundError } from './errors.ts';
import { Journal } from './journal.ts';
import { summarize, type RunRecord, type StoredJournalEntry, type TimelineEntry } from './record.ts';
import { assertRunId } from './run-id.ts';
import type { Checkpoint, HistoricCheckpoint, HistoryEntry, RunHead, RunListing, RunMeta, RunSession, RunStore, StoredVersion } from './types.ts';
import { assertVersionHash, checkVersion, VersionNotFoundError } from './versions.ts';
// What the store keeps is frozen all the way down, so one copy can be shared by the run's state, its history and the
// driving session's record: nothing can change it through a kept reference (frozen values, the definition, are left).
import { deepFreeze } from '../util/deep-freeze.ts';

/**
 * Everything crosses the store boundary as JSON, as it would through a file or a database: a caller cannot change
 * stored state through an object it kept, and a value JSON cannot carry fails here as it would elsewhere.
 */
function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * A meta copied as JSON but for its definition when that is frozen: the runtime shares one frozen definition among
 * every run of a machine, and nothing can change a frozen value through a kept reference, so runs hold that one
 * instead of a copy each (with a session, two copies of ~20 KiB a run). The key keeps its place: it is copied as null,
 * then set back.
 */
function copyMeta(meta: RunMeta): RunMeta {
  const { definition } = meta.workflow;
  if (typeof definition !== 'object' || definition === null || !Object.isFrozen(definition)) return copy(meta);
  const copied = copy<RunMeta>({ ...meta, workflow: { ...meta.workflow, definition: null } });
  copied.workflow.definition = definition;
  return copied;
}

interface MemoryRun {
  meta: RunMeta;
  state: CheckpointState;
  journal: Journal;
  timeline: TimelineEntry[];
  /** Every checkpoint committed, oldest first: an entry's seq is its index + 1. */
  history: KeptCheckpoint[];
  /** The session driving the run, if any: the in-memory counterpart of the file store's lock. */
  holder: MemorySession | null;
  cancelRequested: boolean;
  /** Made on the first watch: most runs are never watched by more than their own driver. */
  watchers: Set<() => void> | null;
}

class MemorySession implements RunSession {
  readonly runId: string;
  readonly epoch: number;
  readonly record: RunRecord;
  readonly #run: MemoryRun;
  /** The session's own copy behind `record.journal`, so the caller's view is kept current without a search. */
  readonly #journal: Journal;
  #closed = false;

  constructor(run: MemoryRun) {
    this.#run = run;
    this.runId = run.meta.runId;
    this.epoch = run.state.epoch;
    this.#journal = new Journal(copy(run.journal.entries));
    this.record = assembleRecord(copyMeta(run.meta), copy(run.state), this.#journal.entries, [...run.timeline]);
  }

  async append(entry: StoredJournalEntry): Promise<void> {
    this.#assertCurrent();
    const stored = copy({ ...entry, epoch: this.epoch });
    this.#run.journal.put(stored);
    this.#journal.put(copy(stored));
  }

  async commit(checkpoint: Checkpoint, timeline: readonly TimelineEntry[] = []): Promise<void> {
    this.#assertCurrent();
    // One frozen copy, shared by the run's state, its history and this session's record: a third of the copies a
    // commit used to make, and of the heap a run in flight holds. The record's copy at open stays a private one,
    // since a resume restores from it and XState (or a workflow's migrate) may write into what it restores.
    const kept = deepFreeze(copy(checkpointOf(checkpoint)));
    const state: CheckpointState = Object.freeze({ ...kept, epoch: this.epoch, updatedAt: new Date().toISOString() });
    this.#run.state = state;
    const journalCount = this.#journal.entries.length;
    this.#run.history.push({ seq: this.#run.history.length + 1, at: state.updatedAt, journalCount, checkpoint: kept });
    const lines = deepFreeze(copy(timeline));
    extendTimeline(this.#run.timeline, lines);
    applyCheckpoint(this.record, state);
    extendTimeline(this.record.timeline, lines);
  }

  async migrate(hash: string, definition: unknown, version?: string): Promise<void> {
    this.#assertCurrent();
    const workflow = { ...this.#run.meta.workflow, hash, definition: copy(definition), ...(version !== undefined ? { version } : {}) };
    this.#run.meta = { ...this.#run.meta, workflow };
    this.record.workflow = copy(this.#run.meta.workflow);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#run.holder === this) this.#run.holder = null;
  }

  /** Fencing by epoch: a run opened since this session began refuses its writes, whatever holds it now. */
  #assertCurrent(): void {
    if (this.#closed) throw new FencedError(`run ${this.runId}: this session is closed`);
    if (this.#run.state.epoch !== this.epoch) {
      throw new FencedError(`run ${this.runId}: taken over by a newer driver (epoch ${this.#run.state.epoch}, this session ${this.epoch})`);
    }
  }
}

export class MemoryStore implements RunStore {
  readonly location = 'memory';
  readonly #runs = new Map<string, MemoryRun>();
  /** Versions by hash, kept as JSON text like every value that crosses the store boundary. */
  readonly #versions = new Map<string, string>();

  async create(meta: RunMeta): Promise<RunSession> {
    const runId = assertRunId(meta.runId);
    if (this.#runs.has(runId)) throw new RunExistsError(`run ${runId} already exists in memory`);
    const run: MemoryRun = {
      meta: copyMeta(metaOf(meta)),
      state: { ...initialCheckpoint(), epoch: 1, updatedAt: new Date().toISOString() },
      journal: new Journal(),
      timeline: [],
      history: [],
      holder: null,
      cancelRequested: false,
      watchers: null,
    };
    this.#runs.set(runId, run);
    return this.#hold(run);
  }

  async open(runId: string): Promise<RunSession> {
    const run = this.#run(runId);
    if (run.holder !== null) throw new RunLockedError(`run ${runId} is being driven by another session of this process`);
    run.state = { ...run.state, epoch: run.state.epoch + 1, updatedAt: new Date().toISOString() };
    return this.#hold(run);
  }

  /**
   * Forgets which session drives the run, as a crashed driver's stale lock is broken in the file store. The old
   * session lives on and is fenced by the epoch of the next `open`; for tests of takeover.
   */
  breakLock(runId: string): void {
    this.#run(runId).holder = null;
  }

  async read(runId: string): Promise<RunRecord> {
    const run = this.#run(runId);
    return copy(assembleRecord(run.meta, run.state, run.journal.entries, run.timeline));
  }

  async readHead(runId: string): Promise<RunHead> {
    const run = this.#run(runId);
    return assembleHead(copyMeta(run.meta), copy(run.state)); // the frozen definition shared, the state a copy of its own
  }

  async list(): Promise<RunListing> {
    const runs = [...this.#runs.values()].map((run) => copy(summarize(assembleHead(run.meta, run.state))));
    runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId));
    return { runs, unreadable: [] };
  }

  async history(runId: string): Promise<HistoryEntry[]> {
    return this.#run(runId).history.map((kept) => copy(historyEntryOf(kept)));
  }

  async checkpointAt(runId: string, seq: number): Promise<HistoricCheckpoint> {
    const { history } = this.#run(runId);
    const kept = Number.isInteger(seq) ? history[seq - 1] : undefined;
    if (kept === undefined) throw checkpointNotFound(runId, seq, history.length);
    return copy({ checkpoint: kept.checkpoint, journalCount: kept.journalCount });
  }

  async requestCancel(runId: string): Promise<void> {
    const run = this.#run(runId);
    run.cancelRequested = true;
    const watchers = run.watchers;
    run.watchers = null;
    for (const cancel of watchers ?? []) cancel();
  }

  watchCancel(runId: string, cancel: () => void): () => void {
    const run = this.#run(runId);
    // The callback itself is what the run's watchers hold (no wrapper a run): requestCancel takes them all out before
    // calling them, so each is called once, and never after its stop function.
    (run.watchers ??= new Set()).add(cancel);
    // Never called before watchCancel has returned its stop function: the caller may not be ready for it.
    if (run.cancelRequested) {
      queueMicrotask(() => {
        if (run.watchers?.delete(cancel)) cancel();
      });
    }
    return () => {
      run.watchers?.delete(cancel);
    };
  }

  async clearCancel(runId: string): Promise<void> {
    this.#run(runId).cancelRequested = false;
  }

  async putVersion(version: StoredVersion): Promise<void> {
    const hash = assertVersionHash(version.hash, 'memory');
    if (!this.#versions.has(hash)) this.#versions.set(hash, JSON.stringify(version));
  }

  async getVersion(hash: string): Promise<StoredVersion> {
    const text = this.#versions.get(assertVersionHash(hash, 'memory'));
    if (text === undefined) throw new VersionNotFoundError(`no version ${hash.slice(0, 12)} in memory`);
    return checkVersion(JSON.parse(text), hash, 'memory');
  }

  #hold(run: MemoryRun): MemorySession {
    const session = new MemorySession(run);
    run.holder = session;
    return session;
  }

  #run(runId: string): MemoryRun {
    const run = this.#runs.get(assertRunId(runId));
    if (run === undefined) throw new RunNotFoundError(`no run ${runId} in memory`);
    return run;
  }
}
