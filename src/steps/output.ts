// What a step gives its parent: the typed output, and the named guards and helpers a workflow reads it with.
import type { AnyEventObject } from 'xstate';
import type { CallContext, CallError, ModelResult, ValidationIssue } from '../llm/types.ts';
import type { ModelCallOutput } from './model-call.ts';

/**
 * One try of an attempt that the infrastructure failed (a host refused, reset, timed out, answered 503 or 5xx — for the
 * reply or for a judge grading it): retried with backoff, never counted as a model attempt.
 */
export interface OutageTry {
  key: string;
  error: CallError;
  durationMs: number;
}

/** One attempt of a model step (a model's answer, or a failure that is the model's), as the step's output shows it. */
export interface AttemptRecord {
  model: string;
  attempt: number;
  key: string;
  success: boolean;
  error?: CallError;
  issues?: ValidationIssue[];
  score: number | null;
  /** The scorer's reasons (a judge's words), when the reply was scored. */
  scoreReasons?: string[];
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  ttftMs: number | null;
  /** True when the result came from the step journal (paid for before a restart, or before its judge's outage). */
  replayed: boolean;
  /** The tries of this attempt lost to an outage before it got its answer, in order: they spent no retry or rung. */
  outageTries?: OutageTry[];
  /** The prompt against the model's window (estimate, num_ctx, tokens evaluated, truncation). */
  context?: CallContext;
}

/** A model step's output: `data` is typed by the step's schema and set once the step is `done`. */
export interface StepOutput<T> {
  status: 'done' | 'flagged';
  data: T | null;
  /** The accepted call (content, tokens, timings, score), or null when flagged. */
  result: ModelResult | null;
  attempts: AttemptRecord[];
  /** Why the step was flagged: the summary first, then each attempt. */
  reasons: string[];
  /** `[]` when done; `['<step>: <why>']` when flagged, ready to become the run's flags. */
  flags: string[];
}

/** A step output that was accepted: `done`, its data parsed by the step's schema, its result the accepted call. */
export type AcceptedOutput<T> = StepOutput<T> & { status: 'done'; data: T; result: ModelResult };

/** True when the step (or sub-agent) was accepted with typed data: narrows `data` and `result` to non-null. */
export function isAccepted<T>(output: StepOutput<T>): output is AcceptedOutput<T> {
  return output.status === 'done' && output.data !== null && output.result !== null;
}

/**
 * The typed data of an accepted step, read on its done event after the `stepFlagged` branch. XState's named guards
 * cannot narrow the event of the next transition, so `event.output.data` stays `T | null` there; this gives `T`, and
 * throws (failing the run, loudly) if the step was in fact flagged or has no schema: a machine without the
 * `stepFlagged` branch first, or a step without a schema, is a bug to see, not a null to carry.
 *
 * @example
 * onDone: [{ guard: 'stepFlagged', target: 'flagged', … }, { target: 'done', actions: assign({ invoice: ({ event }) => acceptedData(event) }) }]
 */
export function acceptedData<T>(event: { output: StepOutput<T> }): T {
  const { output } = event;
  if (isAccepted(output)) return output.data;
  throw new Error(
    output.status === 'flagged'
      ? `acceptedData: the step ended flagged (${output.flags.join('; ') || 'no reason'}); branch on stepFlagged before reading its data`
      : 'acceptedData: the step was accepted without typed data; give it a schema, or read result.content',
  );
}

export function attemptRecord(attempt: number, output: Pick<ModelCallOutput, 'result' | 'key' | 'replayed'>, outageTries: readonly OutageTry[] = []): AttemptRecord {
  const r = output.result;
  return {
    model: r.model,
    attempt,
    key: output.key,
    success: r.success,
    score: r.score,
    tokensIn: r.tokensIn,
    tokensOut: r.tokensOut,
    durationMs: r.durationMs,
    ttftMs: r.ttftMs,
    replayed: output.replayed,
    ...(r.metadata.error ? { error: r.metadata.error } : {}),
    ...(r.metadata.issues ? { issues: r.metadata.issues } : {}),
    ...(r.metadata.scoreReasons ? { scoreReasons: r.metadata.scoreReasons } : {}),
    ...(outageTries.length > 0 ? { outageTries: [...outageTries] } : {}),
    ...(r.metadata.context ? { context: r.metadata.context } : {}),
  };
}

/** The try an outage cost: kept apart from the attempts (see `AttemptRecord.outageTries`). */
export function outageTry(output: Pick<ModelCallOutput, 'result' | 'key'>): OutageTry {
  const { result } = output;
  return { key: output.key, error: result.metadata.error ?? { kind: 'connection', message: 'host unreachable' }, durationMs: result.durationMs };
}

export function describeAttempt(a: AttemptRecord): string {
  const tries = a.outageTries?.length ?? 0;
  const after = tries > 0 ? `, after ${tries} outage tr${tries === 1 ? 'y' : 'ies'}` : '';
  if (a.error) return `${a.model} attempt ${a.attempt}: ${a.error.kind} (${a.error.message})${after}`;
  return `${a.model} attempt ${a.attempt}: score ${a.score ?? 'none'}${after}`;
}

/** The flags a child reported in its output (a step's, or a sub-agent's `{ flags }`), if any. */
function flagsOf(event: AnyEventObject): string[] {
  const output: unknown = event.output;
  if (typeof output !== 'object' || output === null || !('flags' in output) || !Array.isArray(output.flags)) return [];
  return output.flags.map(String);
}

/**
 * Named guards for a workflow's `setup({ guards })`, read on a step's or sub-agent's done event; named so the
 * policy shows in diagrams and inspectors.
 */
export const stepGuards = {
  /** The child ended flagged (a step whose ladder ran out, a sub-agent that reported flags). */
  stepFlagged: ({ event }: { event: AnyEventObject }) => flagsOf(event).length > 0,
};

/**
 * An assigner for a workflow's `flags`: the flags of the child whose done event this is, after the ones already
 * kept, each prefixed with `prefix/` when given (the sub-agent's name).
 *
 * @example
 * onDone: [{ guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) }, …]
 */
export function flagsFrom(prefix?: string) {
  return ({ context, event }: { context: { flags: readonly string[] }; event: AnyEventObject }): string[] => [
    ...context.flags,
    ...flagsOf(event).map((flag) => (prefix ? `${prefix}/${flag}` : flag)),
  ];
}
