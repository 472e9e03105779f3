// Context windows: the pre-call token estimate, model windows per host, num_ctx per call, truncation checks.
export { estimatePromptTokens, estimateTextTokens, estimateMessageTokens, estimateToolTokens, IMAGE_TOKENS, type EstimatedMessage } from './estimate.ts';
export { ContextWindows, chooseNumCtx, defaultContextWindows, defaultNumCtxLadder, type ContextPlan, type ContextRequest, type ContextWindowsOptions, type WindowStatus } from './windows.ts';
export { fetchModelWindow, type ModelWindowInfo } from './show.ts';
