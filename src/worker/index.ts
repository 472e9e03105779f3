// Public API of the embedded worker: drives submitted, orphaned, due and parked runs of any RunStore.
export { startWorker } from './worker.ts';
export { dueReason, planDue, type DuePlan, type DueRun } from './due.ts';
export type { DueReason, Worker, WorkerEvent, WorkerOptions } from './types.ts';
