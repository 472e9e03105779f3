// Span attribute names: the GenAI semantic conventions' (copied, as OTel advises for incubating names) and the harness's own.

/**
 * From `@opentelemetry/semantic-conventions/incubating` 1.45 (GenAI conventions, status Development). Copied rather
 * than imported so the library path needs `@opentelemetry/api` alone; test/telemetry checks them against the package.
 */
export const GenAI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  workflowName: 'gen_ai.workflow.name',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
} as const;

/** `gen_ai.operation.name` values. */
export const Operation = { chat: 'chat', invokeWorkflow: 'invoke_workflow', executeTool: 'execute_tool' } as const;

/** Stable general conventions (`@opentelemetry/semantic-conventions`). */
export const General = { serverAddress: 'server.address', serverPort: 'server.port', errorType: 'error.type' } as const;

/** Ollama is not in the conventions' list of providers; custom values are allowed. */
export const providerOllama = 'ollama';

/** The harness's own attributes. */
export const Harness = {
  runId: 'harness.run_id',
  workflow: 'harness.workflow',
  epoch: 'harness.epoch',
  resumed: 'harness.resumed',
  status: 'harness.status',
  step: 'harness.step',
  attempt: 'harness.attempt',
  ladderRung: 'harness.ladder_rung',
  score: 'harness.score',
  replayed: 'harness.replayed',
  calls: 'harness.usage.calls',
  inputTokens: 'harness.usage.input_tokens',
  outputTokens: 'harness.usage.output_tokens',
} as const;

/** The instrumentation scope of every span the harness makes. */
export const tracerName = 'xstate-llm-harness';
