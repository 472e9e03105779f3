// A run's trace, derived from its run id: every drive of the run (run, resume, send) lands in the same trace.
import { createHash } from 'node:crypto';
import { TraceFlags, isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * The run's trace id (16 bytes) and the span id (8 bytes) of its "run" parent, hashed from the run id. Nothing is
 * stored: the run's meta is written once at create, and a hash needs no contract change to give every drive, in
 * any process, the same trace. The parent span itself is never recorded; each drive's span names it as its parent.
 */
export function runSpanContext(runId: string): SpanContext {
  const digest = createHash('sha256').update(`harness.run\0${runId}`).digest('hex');
  const context: SpanContext = {
    traceId: digest.slice(0, 32),
    spanId: digest.slice(32, 48),
    // Sampled: a run's drives are recorded or dropped together by a parent-based sampler (the SDK's default).
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
  // All-zero ids are invalid; a digest that starts with 16 zero bytes is not going to happen, but must not break.
  return isSpanContextValid(context) ? context : { ...context, traceId: `${digest.slice(0, 31)}1`, spanId: `${digest.slice(32, 47)}1` };
}

/** `00-<trace id>-<span id>-01`: the run's W3C traceparent, to find its trace or hand it to another system. */
export function runTraceparent(runId: string): string {
  const { traceId, spanId } = runSpanContext(runId);
  return `00-${traceId}-${spanId}-01`;
}

/** A context whose parent is the run's (remote) span: a span started in it joins the run's trace. */
export function runParentContext(runId: string, base: Context): Context {
  return trace.setSpanContext(base, runSpanContext(runId));
}
