// Public API of the run store: the RunStore contract, its file and memory stores, ids, errors and the record shape.
export type { RunStore, RunSession, RunMeta, RunHead, Checkpoint, RunListing, HistoryEntry, HistoricCheckpoint, StoredVersion } from './types.ts';
export { VersionNotFoundError } from './versions.ts';
export { FileStore, type FileStoreOptions } from './file-store.ts';
export { MemoryStore } from './memory-store.ts';
export { assertRunId, newRunId } from './run-id.ts';
export { assertJournalCovers, checkpointOf } from './assemble.ts';
export {
  runRecordSchema,
  journalEntrySchema,
  timelineEntrySchema,
  runStatuses,
  finalStatuses,
  summarize,
  versionOf,
  type Blocked,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type TimelineEntry,
  type StoredJournalEntry,
  type StoredCall,
} from './record.ts';
export { InvalidRunIdError, RunNotFoundError, RunExistsError, CorruptRunError, RunLockedError, FencedError, StoreUnavailableError, CheckpointNotFoundError } from './errors.ts';
