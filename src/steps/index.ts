// Public API of the step builders: model steps, fan-out, person waits, persist-safe timers, and their outputs.
export { defineWorkflow, isWorkflow, type Workflow, type Migration, type PersistedSnapshot } from './workflow.ts';
export { modelStep, type ModelStepSpec, type StepContext } from './model-step.ts';
export { stepGuards, flagsFrom, acceptedData, isAccepted, type StepOutput, type AcceptedOutput, type AttemptRecord, type OutageTry } from './output.ts';
export { fanOut, type FanOutSpec, type FanOutOutput } from './fan-out.ts';
export { agentStep, type AgentStepSpec } from './agent-step.ts';
export { tool, defaultToolTimeoutMs, type Tool, type ToolContext, type ToolDefinition, type ToolResult } from './tool.ts';
export { toolCall, toolCallHash, type ToolCallInput, type ToolCallOutput, type ToolCallOptions } from './tool-call.ts';
export type { AgentOutput, AgentTranscript, CompactionRecord, ToolCallRecord } from './agent-output.ts';
export type { ContextPolicy } from './compaction.ts';
export { waitFor, waitingTag, type WaitForSpec, type EventSchemas, type EventsOf } from './wait-for.ts';
export { sleepUntil, type SleepUntilInput } from './sleep-until.ts';
export { throughCache, type CallCache, type CachedRequest } from './call-cache.ts';
export { modelCall, requestHash, type ModelCallInput, type ModelCallOutput, type ModelCallSpec } from './model-call.ts';
export {
  lendServices,
  servicesOf,
  standaloneServices,
  actorPath,
  stepLabel,
  type StepServices,
  type RunSystem,
  type Journal,
  type JournalEntry,
  type HostLimiter,
  type BudgetGuard,
  type CallEvent,
  type ContextServices,
} from './services.ts';
