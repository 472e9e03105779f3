// The harness's public API: what a workflow author and an embedding application use. Subpaths: ./testing, ./check, ./inspect, ./eval.

// Writing workflows: steps, their typed outputs, waits and fan-outs.
export {
  defineWorkflow,
  modelStep,
  fanOut,
  waitFor,
  sleepUntil,
  stepGuards,
  flagsFrom,
  acceptedData,
  isAccepted,
  waitingTag,
  type Workflow,
  type Migration,
  type PersistedSnapshot,
  type ModelStepSpec,
  type StepOutput,
  type AcceptedOutput,
  type AttemptRecord,
  type OutageTry,
  type FanOutSpec,
  type FanOutOutput,
  type WaitForSpec,
  type EventSchemas,
  type EventsOf,
  type SleepUntilInput,
  type CallEvent,
  type CallCache,
  type CachedRequest,
} from './steps/index.ts';
// Agents: a tool loop as a step, and the tools it may call.
export { agentStep, tool, defaultToolTimeoutMs, type AgentStepSpec, type AgentOutput, type AgentTranscript, type CompactionRecord, type ContextPolicy, type ToolCallRecord, type Tool, type ToolContext, type ToolResult } from './steps/index.ts';
// Work that may hog the CPU or hang (a model-given regex, a parser), run in a worker thread that a signal really ends.
export { runOffThread, type OffThreadOptions } from './util/off-thread.ts';
export { grepLines, grepOffThread, literalPattern, type GrepRequest, type GrepResult, type GrepMatch } from './util/grep.ts';

// Running them: start, resume, send events, cancel, list and read runs.
export {
  runWorkflow,
  resumeWorkflow,
  sendToRun,
  cancelRun,
  listRuns,
  getRun,
  forkRun,
  CheckpointNotFoundError,
  loadWorkflow,
  hostLimiter,
  definitionHash,
  statePaths,
  defaultStopGraceMs,
  type RunOptions,
  type ResumeOptions,
  type SendOptions,
  type ForkOptions,
  type HistoryEntry,
  type HistoricCheckpoint,
  type DriveHooks,
  type StopReport,
  type LoadedWorkflow,
  type InputOf,
  type OutputOf,
  type EventOf,
  type RunOf,
} from './runtime/index.ts';

// Where runs live.
export {
  FileStore,
  MemoryStore,
  newRunId,
  runStatuses,
  finalStatuses,
  type FileStoreOptions,
  type RunStore,
  type RunSession,
  type RunMeta,
  type Checkpoint,
  type RunListing,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  type TimelineEntry,
  type StoredJournalEntry,
} from './store/index.ts';

// One model call, and the pieces of a retry policy.
export {
  callModel,
  callWithHosts,
  HostSet,
  defaultModelConfig,
  displayHost,
  assistantMessage,
  toolMessage,
  retryFeedback,
  isRetryable,
  backoffDelay,
  ContextWindows,
  defaultContextWindows,
  estimatePromptTokens,
  type HostSetOptions,
  type HostStatus,
  type BreakerOptions,
  type BreakerStatus,
  type ModelConfigInput,
  type CallContext,
  type CallError,
  type CallMetadata,
  type ContextConfig,
  type CallOptions,
  type ChatMessage,
  type ErrorKind,
  type ModelResult,
  type Think,
  type ToolCall,
  type ToolSpec,
  type ValidationIssue,
} from './llm/index.ts';
export { HostPool } from './llm/pool.ts';

// Scorers.
export * from './score/index.ts';

// Errors: one base with a code, and its guards.
export { HarnessError, isHarnessError, hasCode, errorCodes, type ErrorCode } from './errors.ts';
