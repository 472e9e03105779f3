// Public API of the runtime: run, resume, send, cancel, list and get runs; load workflow modules.
export { runWorkflow, resumeWorkflow, sendToRun, cancelRun, listRuns, getRun, workflowOf, hostLimiter, parseInput, type RunOptions, type ResumeOptions, type SendOptions, type DriveHooks } from './runs.ts';
export { forkRun, prepareFork, driveFork, checkContextPatch, CheckpointNotFoundError, type ForkOptions, type ForkPlan, type HistoryEntry, type HistoricCheckpoint } from './fork.ts';
export { statePaths, defaultStopGraceMs, type StopReport } from './driver.ts';
export { definitionHash } from './definition.ts';
export { eventFrom, checkedEvent } from './events.ts';
export type { InputOf, OutputOf, EventOf, RunOf } from './typed.ts';
export { loadWorkflow, type LoadedWorkflow } from './load.ts';
export { DefinitionChangedError, EventRejectedError, InputError, RunFinishedError, WorkflowLoadError } from './errors.ts';
