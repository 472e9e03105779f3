// Public API of the runtime: run, resume, send, cancel, list and get runs; load workflow modules.
export { runWorkflow, resumeWorkflow, sendToRun, cancelRun, listRuns, getRun, workflowOf, processPool, type RunOptions, type ResumeOptions, type SendOptions, type DriveHooks } from './runs.ts';
export { drive, statePaths, type DriveOptions, type DriveStart } from './driver.ts';
export { definitionHash } from './definition.ts';
export { loadWorkflow, WorkflowLoadError, type LoadedWorkflow } from './load.ts';
export { RuntimeError, DefinitionChangedError, InputError, RunFinishedError, EventRejectedError } from './errors.ts';
