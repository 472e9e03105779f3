// Public API of the model layer: one trustworthy call, and the pieces a retry policy is built from.
export { callModel } from './client.ts';
export { callWithHosts, HostSet, type HostCallOptions, type HostSetOptions, type HostStatus } from './hosts.ts';
export type { BreakerOptions, BreakerState, BreakerStatus } from './breaker.ts';
export { parseHostList, type HostEntry } from './host-list.ts';
export { canonicalModel } from './listing.ts';
export { defaultModelConfig, formatSchema, resolveConfig, type ModelConfigInput } from './config.ts';
export { defaultHost, displayHost, hostAuth, resolveHost, type HostAuth } from './host.ts';
export { assistantMessage, toolMessage } from './messages.ts';
export { checkToolCalls, toolsForOllama, type CheckedToolCalls } from './tools.ts';
export { ConfigError, TimeoutError, classifyError, type ErrorContext } from './errors.ts';
export { isOutage, isRetryable } from './retryable.ts';
export {
  ContextWindows,
  chooseNumCtx,
  defaultContextWindows,
  defaultNumCtxLadder,
  estimatePromptTokens,
  estimateTextTokens,
  fetchModelWindow,
  type ContextWindowsOptions,
  type ModelWindowInfo,
  type WindowStatus,
} from './context/index.ts';
export { backoffDelay, type BackoffOptions } from './backoff.ts';
export { retryFeedback } from './feedback.ts';
export { validateContent, type Validation, type ValidateOptions } from './validate.ts';
export type {
  CallContext,
  CallError,
  CallMetadata,
  ContextConfig,
  CallOptions,
  ChatMessage,
  ErrorKind,
  HostFailure,
  ModelConfig,
  ModelResult,
  Role,
  Think,
  ToolCall,
  ToolSpec,
  ValidationIssue,
  WireToolCall,
} from './types.ts';
