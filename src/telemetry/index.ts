// Tracing with OpenTelemetry's API only (a no-op until an SDK is registered): run, model-call and tool spans.
export { withToolSpan, type ToolSpanOptions } from './tool-span.ts';
export { runSpanContext, runTraceparent } from './trace-id.ts';
export { startRunSpan, type RunSpan, type RunSpanEnd, type RunSpanStart } from './run-span.ts';
export { startCallSpan, recordReplayedCall, type CallSpan, type CallSpanInfo } from './call-span.ts';
export { contentEnabled, type RunTelemetry, type TelemetryOptions } from './types.ts';
export { GenAI, General, Harness, Operation, providerOllama, tracerName } from './attributes.ts';
