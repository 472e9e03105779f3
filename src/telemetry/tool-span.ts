// A span around one tool call (`execute_tool <name>`): for code that runs the tools a model asked for.
import { SpanKind, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { GenAI, Harness, Operation } from './attributes.ts';
import { recordError } from './errors.ts';
import { contentEnabled, type RunTelemetry } from './types.ts';
import { harnessTracer } from './tracer.ts';

export interface ToolSpanOptions {
  /** The run's telemetry (`services.telemetry` in an actor): the span becomes a child of the run's span. */
  telemetry?: RunTelemetry | undefined;
  /** The call's arguments: recorded as `gen_ai.tool.call.arguments` only when content is opted in. */
  arguments?: unknown;
}

function json(value: unknown): string | undefined {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return undefined; // not serializable (a cycle, a BigInt): left out rather than failing the tool
  }
}

/**
 * Runs `fn` in a span of its own, the span active while it runs; a throw marks the span (`error.type`) and is
 * rethrown. With no OpenTelemetry SDK registered, it only calls `fn`.
 *
 * @example
 * const weather = await withToolSpan('get_weather', { 'gen_ai.tool.call.id': call.id }, () => getWeather(call.arguments),
 *   { telemetry: services.telemetry, arguments: call.arguments });
 */
export async function withToolSpan<T>(name: string, attrs: Attributes, fn: (span: Span) => T | Promise<T>, options: ToolSpanOptions = {}): Promise<T> {
  const { telemetry } = options;
  const parent = telemetry?.context ?? context.active();
  const span = harnessTracer().startSpan(
    `${Operation.executeTool} ${name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [GenAI.operationName]: Operation.executeTool,
        [GenAI.toolName]: name,
        [GenAI.toolType]: 'function',
        ...(telemetry ? { [Harness.runId]: telemetry.runId } : {}),
        ...attrs,
      },
    },
    parent,
  );
  const content = span.isRecording() && (telemetry?.content ?? contentEnabled(undefined));
  const args = content && options.arguments !== undefined ? json(options.arguments) : undefined;
  if (args !== undefined) span.setAttribute(GenAI.toolCallArguments, args);
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    const recorded = content && result !== undefined ? json(result) : undefined;
    if (recorded !== undefined) span.setAttribute(GenAI.toolCallResult, recorded);
    return result;
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    span.end();
  }
}
