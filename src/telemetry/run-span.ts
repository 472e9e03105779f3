// The span of one drive of a run (`invoke_workflow <workflow>`): in the run's own trace, ended with the run's status.
import { SpanKind, SpanStatusCode, context, trace, type Link, type Span } from '@opentelemetry/api';
import { GenAI, General, Harness, Operation } from './attributes.ts';
import { recordError, statusMessage } from './errors.ts';
import { runParentContext } from './trace-id.ts';
import { harnessTracer } from './tracer.ts';
import type { RunTelemetry } from './types.ts';

export interface RunSpanStart {
  runId: string;
  workflow: string;
  /** The run's epoch: which drive of the run this is. */
  epoch?: number;
  /** Restored from a checkpoint (resume, send) rather than started from its input. */
  resumed: boolean;
  content: boolean;
}

/** How the drive left the run (a RunRecord has these fields). */
export interface RunSpanEnd {
  status: string;
  error?: string;
  usage?: { tokensIn: number; tokensOut: number; calls: number };
}

export interface RunSpan {
  /** For the run's services: its calls and tools become children of this span. */
  readonly telemetry: RunTelemetry;
  end(run: RunSpanEnd): void;
  /** The drive itself threw (a store failure): the span ends as an error. */
  fail(error: unknown): void;
}

/**
 * Starts a drive's span under the run's derived parent, so every drive shares the first one's trace id. A span
 * active in the caller's context (a request that started the run) is linked, not made the parent.
 */
export function startRunSpan(start: RunSpanStart): RunSpan {
  const caller = trace.getSpanContext(context.active());
  const links: Link[] = caller ? [{ context: caller }] : [];
  const span: Span = harnessTracer().startSpan(
    `${Operation.invokeWorkflow} ${start.workflow}`,
    {
      kind: SpanKind.INTERNAL,
      links,
      attributes: {
        [GenAI.operationName]: Operation.invokeWorkflow,
        [GenAI.workflowName]: start.workflow,
        [Harness.runId]: start.runId,
        [Harness.workflow]: start.workflow,
        [Harness.resumed]: start.resumed,
        ...(start.epoch !== undefined ? { [Harness.epoch]: start.epoch } : {}),
      },
    },
    runParentContext(start.runId, context.active()),
  );
  let ended = false;
  return {
    telemetry: { context: trace.setSpan(context.active(), span), runId: start.runId, content: start.content },
    end(run) {
      if (ended) return;
      ended = true;
      span.setAttribute(Harness.status, run.status);
      if (run.usage) {
        span.setAttributes({ [Harness.calls]: run.usage.calls, [Harness.inputTokens]: run.usage.tokensIn, [Harness.outputTokens]: run.usage.tokensOut });
      }
      if (run.status === 'failed') {
        span.setAttribute(General.errorType, 'failed');
        span.setStatus({ code: SpanStatusCode.ERROR, ...(run.error !== undefined ? { message: statusMessage(run.error) } : {}) });
      }
      span.end();
    },
    fail(error) {
      if (ended) return;
      ended = true;
      recordError(span, error);
      span.end();
    },
  };
}
