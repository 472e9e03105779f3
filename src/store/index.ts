// Public API of the run store: the RunStore contract, its file and memory stores, locks, ids, errors and record shape.
export type { RunStore, RunSession, RunMeta, Checkpoint, RunListing } from './types.ts';
export { FileStore, type FileStoreOptions } from './file-store.ts';
export { MemoryStore } from './memory-store.ts';
export { RunLock, type LockOptions, type LockOwner } from './lock.ts';
export { assertRunId, newRunId } from './run-id.ts';
export {
  runRecordSchema,
  journalEntrySchema,
  timelineEntrySchema,
  runStatuses,
  finalStatuses,
  summarize,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type TimelineEntry,
  type StoredJournalEntry,
  type StoredCall,
} from './record.ts';
export { StoreError, InvalidRunIdError, RunNotFoundError, RunExistsError, CorruptRunError, RunLockedError, FencedError } from './errors.ts';
