// Public API of the run store: where runs live (one lowdb file per run), locks, and the run record's shape.
export { FileStore, RunHandle, type FileStoreOptions } from './file-store.ts';
export { RunLock, type LockOptions, type LockOwner } from './lock.ts';
export { assertRunId, newRunId } from './run-id.ts';
export { runRecordSchema, runStatuses, finalStatuses, summarize, type RunRecord, type RunStatus, type RunSummary, type TimelineEntry, type StoredJournalEntry } from './record.ts';
export { StoreError, InvalidRunIdError, RunNotFoundError, RunExistsError, CorruptRunError, RunLockedError, FencedError } from './errors.ts';
