// The RunStore contract: what the runtime needs of any place runs live (files, memory, PostgreSQL).
import type { RunRecord, RunStatus, RunSummary, StoredJournalEntry, TimelineEntry } from './record.ts';
import type { StoredVersion } from './versions.ts';

/** A run without its journal and timeline: what deciding whether (and how) to take it needs, cheap to read. */
export type RunHead = Omit<RunRecord, 'journal' | 'timeline'>;

/** What never changes after a run is created (a migration may replace the definition and its hash). */
export type RunMeta = Pick<RunRecord, 'runId' | 'workflow' | 'input' | 'budget' | 'seed' | 'createdAt'>;

/**
 * The latest checkpoint: small and bounded by the run's state, never by the number of calls it made (replies live
 * in the journal). Every commit replaces it atomically; a store may keep it as what changed since the previous one.
 */
export type Checkpoint = Pick<RunRecord, 'status' | 'snapshot' | 'output' | 'error' | 'flags' | 'usage' | 'activeMs' | 'wakeAt' | 'blocked' | 'version'>;

/** One kept checkpoint, as a history lists it: no snapshot, so a long history stays cheap to list. */
export interface HistoryEntry {
  /** 1 for a run's first commit, then 2, 3, …: what `checkpointAt` (and `fork --at`) take. */
  seq: number;
  /** When the commit was written (ISO). */
  at: string;
  status: RunStatus;
  /** The root's XState state value at that checkpoint; null before the run's first snapshot. */
  value: unknown;
  /** How many journal entries existed when it was written: the calls a fork from it reuses. */
  journalCount: number;
  /** The version it was written under; absent for runs from before versions. */
  version?: string;
}

/** A kept checkpoint in full, with the journal length it was written at. */
export interface HistoricCheckpoint {
  checkpoint: Checkpoint;
  journalCount: number;
}

export interface RunListing {
  runs: RunSummary[];
  /** Runs that exist but cannot be read, reported rather than hidden (`file`: the file or run id at fault). */
  unreadable: { file: string; reason: string }[];
}

/**
 * One driver's hold on one run, from `open`/`create` to `close`. Every store gives back exactly the JSON it was
 * given (key order, every character, U+0000 included): the journal is matched by a hash of requests as serialised.
 * Where one session appends a key twice the later entry wins; across sessions, the higher epoch's. Every write carries the session's epoch, and the
 * store refuses (FencedError, nothing written) a write from a session whose run has since been opened by another.
 */
export interface RunSession {
  readonly runId: string;
  readonly epoch: number;
  /** The run as of open, kept current by this session's own appends and commits. */
  readonly record: RunRecord;
  /** Adds a completed call to the journal; durable (with fsync, if the store was asked to) when it resolves. */
  append(entry: StoredJournalEntry): Promise<void>;
  /**
   * Replaces the checkpoint and adds timeline entries (the read view keeps the last 1,000; a store may keep more). The
   * checkpoint is also kept in the run's history under the next seq, with the journal's length: an append no larger
   * than the checkpoint (the file store's holds what changed), never a rewrite. A refused (fenced) commit adds nothing
   * to the history.
   */
  commit(checkpoint: Checkpoint, timeline?: readonly TimelineEntry[]): Promise<void>;
  /** Records that the run now follows a migrated definition (and, after an upgrade, the version it is now on). */
  migrate(hash: string, definition: unknown, version?: string): Promise<void>;
  /** Waits for writes in flight and gives the run back (its lock, if the store has one). */
  close(): Promise<void>;
}

export interface RunStore {
  /** Where runs live, for messages (a directory, a URL with credentials masked, `memory`). */
  readonly location: string;
  /** Creates a run (RunExistsError if its id is taken) and holds it, epoch 1. */
  create(meta: RunMeta): Promise<RunSession>;
  /** Takes an existing run to drive it: RunLockedError while another live session holds it; bumps the epoch. */
  open(runId: string): Promise<RunSession>;
  /** The whole run, read-only: RunNotFoundError, CorruptRunError. */
  read(runId: string): Promise<RunRecord>;
  /**
   * The run without its journal and timeline (whose reading grows with the calls made): as `read` refuses. Optional,
   * so a store written for an earlier release still works: without it, the runtime takes `read`'s answer instead.
   */
  readHead?(runId: string): Promise<RunHead>;
  list(): Promise<RunListing>;
  /** Every checkpoint the run committed, oldest first (seq 1, 2, …), without snapshots: RunNotFoundError. */
  history(runId: string): Promise<HistoryEntry[]>;
  /** Checkpoint `seq` of the run in full: RunNotFoundError, or CheckpointNotFoundError (a RunNotFoundError) for an unknown seq. */
  checkpointAt(runId: string, seq: number): Promise<HistoricCheckpoint>;
  /** Leaves a cancel request for whichever session drives the run, here or in another process. */
  requestCancel(runId: string): Promise<void>;
  /** Calls `cancel` once a cancel request for the run appears; returns the function that stops watching. */
  watchCancel(runId: string, cancel: () => void): () => void;
  clearCancel(runId: string): Promise<void>;
  /** Keeps a workflow version once per hash: storing one that is there already changes nothing. */
  putVersion(version: StoredVersion): Promise<void>;
  /** A stored version, its code checked against its hash: VersionNotFoundError when missing or damaged. */
  getVersion(hash: string): Promise<StoredVersion>;
}

export type { RunStatus, StoredVersion };
