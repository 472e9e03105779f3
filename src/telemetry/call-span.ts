// The span of one model call (`chat <model>`, CLIENT), made or replayed from the journal, under the run's span.
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { defaultModelConfig } from '../llm/config.ts';
import { resolveHost } from '../llm/host.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import { GenAI, General, Harness, Operation, providerOllama } from './attributes.ts';
import { recordError, statusMessage } from './errors.ts';
import { inputMessages, outputMessages } from './messages.ts';
import { serverAttributes } from './server.ts';
import { harnessTracer } from './tracer.ts';
import { contentEnabled, type RunTelemetry } from './types.ts';

/** What the attempt knows before it calls. */
export interface CallSpanInfo {
  /** The step's label (`security/review`). */
  step: string;
  /** The step-local journal key, `<pass>.m<rung>.a<attempt>`: the ladder rung is read from it. */
  attemptKey: string;
  attempt: number;
  model: string;
  messages: readonly ChatMessage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  options?: Record<string, unknown> | undefined;
  /** The configured host, when the call goes to it (not routed by a host set): the address before any reply. */
  host?: string | undefined;
}

function ladderRung(attemptKey: string): Attributes {
  const match = /\.m(\d+)\.a\d+/.exec(attemptKey);
  return match?.[1] !== undefined ? { [Harness.ladderRung]: Number(match[1]) } : {};
}

function configuredServer(host: string | undefined): Attributes {
  try {
    return serverAttributes(resolveHost(host));
  } catch {
    return {}; // a malformed host fails the call itself; the span just has no address
  }
}

function requestAttributes(telemetry: RunTelemetry | undefined, info: CallSpanInfo, replayed: boolean): Attributes {
  const optionTemperature = typeof info.options?.temperature === 'number' ? info.options.temperature : undefined;
  return {
    [GenAI.operationName]: Operation.chat,
    [GenAI.providerName]: providerOllama,
    [GenAI.requestModel]: info.model,
    [GenAI.requestMaxTokens]: info.maxTokens ?? defaultModelConfig.maxTokens,
    [GenAI.requestTemperature]: info.temperature ?? optionTemperature ?? defaultModelConfig.temperature,
    ...(telemetry ? { [Harness.runId]: telemetry.runId } : {}),
    [Harness.step]: info.step,
    [Harness.attempt]: info.attempt,
    ...ladderRung(info.attemptKey),
    [Harness.replayed]: replayed,
  };
}

function startSpan(telemetry: RunTelemetry | undefined, info: CallSpanInfo, replayed: boolean): { span: Span; content: boolean } {
  const parent = telemetry?.context ?? context.active();
  const attributes = { ...requestAttributes(telemetry, info, replayed), ...(replayed ? {} : configuredServer(info.host)) };
  const span = harnessTracer().startSpan(`${Operation.chat} ${info.model}`, { kind: SpanKind.CLIENT, attributes }, parent);
  const content = span.isRecording() && (telemetry?.content ?? contentEnabled(undefined));
  if (content) span.setAttribute(GenAI.inputMessages, inputMessages(info.messages));
  return { span, content };
}

/** What the reply says: model, finish reason, the host that served it, the error kind; tokens only when paid now. */
function recordResult(span: Span, result: ModelResult, content: boolean, paid: boolean): void {
  if (!span.isRecording()) return; // no SDK: every call would build attributes nobody keeps
  const reason = result.metadata.doneReason;
  span.setAttributes({
    [GenAI.responseModel]: result.model,
    ...(reason ? { [GenAI.responseFinishReasons]: [reason] } : {}),
    ...(paid ? { [GenAI.usageInputTokens]: result.tokensIn, [GenAI.usageOutputTokens]: result.tokensOut } : {}),
    ...serverAttributes(result.metadata.host),
    ...(result.score !== null ? { [Harness.score]: result.score } : {}),
  });
  const error = result.metadata.error;
  if (!result.success && error) {
    span.setAttribute(General.errorType, error.kind);
    span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(error.message) });
  }
  if (content) span.setAttribute(GenAI.outputMessages, outputMessages(result, reason ?? (result.success ? 'stop' : 'error')));
}

/** A call being made: `call` wraps the request, `scored` adds the verdict, `end` closes it at the reply's time. */
export interface CallSpan {
  call<T extends ModelResult>(request: () => Promise<T>): Promise<T>;
  /** The normalized score attached to the result (null: none). */
  scored(score: number | null): void;
  end(): void;
}

export function startCallSpan(telemetry: RunTelemetry | undefined, info: CallSpanInfo): CallSpan {
  const { span, content } = startSpan(telemetry, info, false);
  let endedAt: Date | undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.end(endedAt);
  };
  return {
    async call(request) {
      try {
        // Active for the request: instrumentation under it (fetch, undici) nests when a context manager is registered.
        const result = await context.with(trace.setSpan(telemetry?.context ?? context.active(), span), request);
        endedAt = new Date();
        recordResult(span, result, content, true);
        return result;
      } catch (error) {
        recordError(span, error);
        end();
        throw error;
      }
    },
    scored(score) {
      if (score !== null) span.setAttribute(Harness.score, score);
    },
    end,
  };
}

/** A call answered from the journal: still a span, marked `harness.replayed`, its tokens not counted again. */
export function recordReplayedCall(telemetry: RunTelemetry | undefined, info: CallSpanInfo, result: ModelResult): void {
  const { span, content } = startSpan(telemetry, info, true);
  recordResult(span, result, content, false);
  span.end();
}
