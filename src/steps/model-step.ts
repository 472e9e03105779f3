// The model step: a child machine in which validate → score → retry / back off / escalate / flag are guarded transitions.
import { and, assign, not, setup, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { ZodType } from 'zod';
import { backoffDelay } from '../llm/backoff.ts';
import { defaultModelConfig } from '../llm/config.ts';
import { retryFeedback } from '../llm/feedback.ts';
import { isOutage } from '../llm/retryable.ts';
import type { CallError, ChatMessage, ModelResult } from '../llm/types.ts';
import { validateContent } from '../llm/validate.ts';
import type { Scorer } from '../score/types.ts';
import { createRandom, hashString } from '../util/random.ts';
import { declaredModels } from '../llm/models/declared.ts';
import { assertZod4Schema } from '../util/zod-version.ts';
import { modelCall, type ModelCallOutput, type ModelCallSpec } from './model-call.ts';
import { defaultOutagePolicy, type OutagePolicy } from './services.ts';
import { parkedTag, retryParkedEvent } from './wait-for.ts';
import { attemptRecord, describeAttempt, outageTry, type AttemptRecord, type OutageTry, type StepOutput } from './output.ts';
import { sleepUntil } from './sleep-until.ts';
import { newPassId } from './pass-id.ts';
import { keepStepSpec } from './step-spec.ts';

export interface ModelStepSpec<TInput, T = never> {
  /** Names the step in journal keys, labels and flags (`extract: ladder exhausted…`). */
  id: string;
  /** The conversation, built from the step's input (what the invoking state passes as `input`). */
  prompt: (input: TInput) => ChatMessage[];
  /** Sent as Ollama's `format`; a reply is accepted only once it parses, and `output.data` is typed by it. */
  schema?: ZodType<T>;
  json?: boolean;
  /** Models to try in order, smallest first. Default: the default model only. */
  ladder?: readonly string[];
  /** Retries per model after the first try, for invalid output or a transient error. Default 2. */
  maxRetries?: number;
  scorer?: Scorer;
  /** Minimum score to accept a valid reply; below it the step escalates. Default 0.7. */
  threshold?: number;
  /** Backoff before retrying a transient error: full jitter, capped. Defaults 1000 / 30000 ms. */
  backoff?: { baseMs?: number; capMs?: number };
  config?: ModelCallSpec['config'];
  /** The outage policy when the step runs outside a runtime (plain `createActor`); a run's own policy wins. */
  outage?: Partial<OutagePolicy>;
}

/** The step's own bookkeeping: lives in the step's machine, never in the workflow's context. */
export interface StepContext {
  step: string;
  messages: ChatMessage[];
  /** Random per entry of the step, persisted with it: a step entered again (a loop) never replays the last pass. */
  pass: string;
  rung: number;
  model: string;
  /** Attempts on the current model (1-based once started). */
  attempt: number;
  /** Tries of the current attempt lost to an outage (an unreachable or overloaded host): they spend no retry. */
  outageTries: number;
  /** Those tries, kept for the attempt's record (absent in steps persisted before they were kept). */
  outages?: OutageTry[];
  /** The next entry of `attempting` repeats the attempt after an outage instead of starting a new one. */
  repeating: boolean;
  /**
   * When the current outage began and when it was last seen, on the run's driven clock (`StepServices.clock`: the
   * time a run was not driven never counts); null when the last call reached a model.
   */
  outageSince: number | null;
  outageAt?: number | null;
  /**
   * The step-local key of a reply that is paid and journaled while its judging was cut off by an outage: the repeat
   * uses it, so the reply is replayed from the journal and only the judge is called again.
   */
  replyKey?: string | null;
  /** The run's outage policy, as the last attempt reported it. */
  outage: OutagePolicy;
  attempts: AttemptRecord[];
  /** Follow-up messages that show the model its invalid output and the validation errors. */
  feedback: ChatMessage[];
  /** Absolute time (ms since epoch) before which a backoff must not retry: survives a restart. */
  retryAt: number | null;
  last: ModelResult | null;
  status: 'running' | 'done' | 'flagged';
  /** Why the step is parked (the host stayed unreachable), while it is. */
  parked: string | null;
  reasons: string[];
}

const lastError = (context: StepContext): CallError | undefined => context.last?.metadata.error;

/** The step-local journal key of the current try: `<pass>.m<rung>.a<attempt>[.o<outage try>]`, or the reply still being judged. */
function attemptKeyOf(context: StepContext): string {
  return context.replyKey ?? `${context.pass}.m${context.rung}.a${context.attempt}${context.outageTries > 0 ? `.o${context.outageTries}` : ''}`;
}

/** How long the current outage has lasted, in driven time (0 when there is none). */
function outageLasted(context: StepContext): number {
  const { outageSince } = context;
  const at = context.outageAt ?? null;
  return outageSince === null || at === null ? 0 : at - outageSince;
}

function flagReason(context: StepContext): string {
  const error = lastError(context);
  if (error?.kind === 'budget') return `budget exceeded: ${error.message}`;
  const last = context.attempts.at(-1);
  const lastWhy = last ? ` (last: ${last.error ? `${last.error.kind}: ${last.error.message}` : `score ${last.score ?? 'none'}`})` : '';
  return `ladder exhausted after ${context.attempts.length} attempt(s)${lastWhy}`;
}

/**
 * A model step as a machine: invoke it from any state with the input its prompt needs, and read its typed output.
 *
 * @example
 * const extract = modelStep({ id: 'extract', schema: Invoice, ladder: ['qwen2.5:7b', 'qwen2.5:32b'],
 *   prompt: (input: { text: string }) => [{ role: 'user', content: input.text }] });
 * // setup({ actors: { extract }, guards: stepGuards }) … invoke: { src: 'extract', input: ({ context }) => ({ text: context.text }),
 * //   onDone: [{ guard: 'stepFlagged', target: 'flagged' }, { target: 'done', actions: assign({ invoice: ({ event }) => event.output.data }) }] }
 */
export function modelStep<TInput, T = never>(spec: ModelStepSpec<TInput, T>) {
  const { id } = spec;
  assertZod4Schema(spec.schema, `modelStep "${id}" schema`);
  for (const tool of spec.config?.tools ?? []) assertZod4Schema(tool.input, `modelStep "${id}" tool "${tool.name}" input`);
  const ladder = spec.ladder && spec.ladder.length > 0 ? [...spec.ladder] : [defaultModelConfig.model];
  const maxRetries = spec.maxRetries ?? defaultModelConfig.maxRetries;
  const threshold = spec.scorer ? (spec.threshold ?? 0.7) : 0;
  const baseMs = spec.backoff?.baseMs ?? defaultModelConfig.retryDelayMs;
  const capMs = spec.backoff?.capMs ?? 30_000;

  const callSpec: ModelCallSpec = {};
  if (spec.schema) callSpec.schema = spec.schema;
  if (spec.json) callSpec.json = true;
  if (spec.scorer) callSpec.scorer = spec.scorer;
  if (spec.config) callSpec.config = spec.config;
  if (spec.outage) callSpec.outage = { ...defaultOutagePolicy, ...spec.outage };

  const update = (context: StepContext, patch: Partial<StepContext>): StepContext => ({ ...context, ...patch });

  const schema = spec.schema;
  /** Without a schema there is no typed data (read `result.content`, or `result.data` for plain JSON). */
  const dataOf = (result: ModelResult | null): T | null => {
    if (!schema || !result) return null;
    // From the reply's text, as the call read it: `result.data` is already the schema's output (and, restored from a
    // snapshot, only its JSON), which the schema would transform a second time or refuse.
    const checked = validateContent<T>(result.content, { schema });
    return checked.ok ? checked.data : null;
  };

  return keepStepSpec(spec, setup({
    types: {
      context: {} as StepContext,
      input: {} as TInput,
      output: {} as StepOutput<T>,
    },
    actors: { attempt: modelCall(callSpec), sleepUntil },
    guards: {
      /** The reply arrived and passed its schema / JSON check. */
      isValid: ({ context }) => context.last?.success === true,
      /** No scorer, or the score reached the step's threshold. */
      meetsThreshold: ({ context }, params: { threshold: number }) => {
        const score = context.last?.score ?? null;
        return score === null || score >= params.threshold;
      },
      /** The run's token and wall-time budgets still allow calls. */
      withinBudget: ({ context }) => lastError(context)?.kind !== 'budget',
      isInvalidOutput: ({ context }) => lastError(context)?.kind === 'invalid-output',
      /** The host, not the model, failed: refused, reset, timed out, busy (503) or a server error (5xx). */
      isOutage: ({ context }) => isOutage(lastError(context)?.kind),
      /** The outage has lasted less than the run's bound, in driven time: keep retrying; past it, the run is parked. */
      withinOutageBound: ({ context }) => outageLasted(context) < context.outage.parkAfterMs,
      /** Retries left on the current model (attempt counts from 1; `maxRetries` retries follow the first try). */
      canRetry: ({ context }, params: { maxRetries: number }) => context.attempt <= params.maxRetries,
      /** A larger model is left on the ladder. */
      canEscalate: ({ context }, params: { ladder: readonly string[] }) => context.rung + 1 < params.ladder.length,
    },
    actions: {
      beginAttempt: assign(({ context }) =>
        context.repeating
          ? update(context, { outageTries: context.outageTries + 1, repeating: false, retryAt: null })
          : update(context, { attempt: context.attempt + 1, outageTries: 0, outages: [], replyKey: null, retryAt: null }),
      ),
      /** A model's outcome becomes an attempt; an outage's becomes a try of the current attempt, counted apart. */
      recordAttempt: assign(({ context, event }) => {
        const output = (event as DoneActorEvent<ModelCallOutput>).output;
        const outages = context.outages ?? [];
        if (!isOutage(output.result.metadata.error?.kind)) {
          const attempts = [...context.attempts, attemptRecord(context.attempt, output, outages)];
          return update(context, { last: output.result, outage: output.outage, outageSince: null, outageAt: null, outages: [], replyKey: null, attempts });
        }
        // A window begun on another clock (a step persisted before outages were timed in driven time) starts again.
        const since = context.outageSince !== null && context.outageSince <= output.at ? context.outageSince : output.at;
        return update(context, {
          last: output.result,
          outage: output.outage,
          outageSince: since,
          outageAt: output.at,
          outages: [...outages, outageTry(output)],
          replyKey: output.scoreInterrupted ? attemptKeyOf(context) : null,
        });
      }),
      /** The attempt's actor itself failed (a bug or a storage error, not a model failure): not retryable. */
      recordCrash: assign(({ context, event }) => {
        const raw = (event as ErrorActorEvent).error;
        const error: CallError = { kind: 'internal', message: `step actor failed: ${raw instanceof Error ? raw.message : String(raw)}` };
        const last: ModelResult = { content: '', model: context.model, tokensIn: 0, tokensOut: 0, durationMs: 0, ttftMs: null, success: false, retries: context.attempt - 1, score: null, metadata: { host: '', error } };
        const record = attemptRecord(context.attempt, { result: last, key: '', replayed: false }, context.outages ?? []);
        return update(context, { last, outages: [], attempts: [...context.attempts, record] });
      }),
      /** Shows the model its invalid reply and the exact validation errors on the next attempt. */
      addFeedback: assign(({ context }) => (context.last ? update(context, { feedback: retryFeedback(context.feedback, context.last) }) : context)),
      /** The same attempt again after the host failed: a backoff, and no retry or rung spent. */
      scheduleOutageRetry: assign(({ context }, params: { baseMs: number; capMs: number }) => {
        const random = createRandom(hashString(`${context.step}:${context.pass}:${context.rung}:${context.attempt}:o${context.outageTries}`));
        const delay = backoffDelay(context.outageTries, { baseMs: params.baseMs, capMs: params.capMs, random });
        return update(context, { retryAt: Date.now() + Math.round(delay), repeating: true });
      }),
      park: assign(({ context }) => {
        const error = lastError(context);
        const why = `${context.model}: ${error ? `${error.kind} (${error.message})` : 'host unreachable'} for ${Math.round(outageLasted(context) / 1000)} s`;
        return update(context, { parked: why, retryAt: Date.now() + context.outage.retryParkedMs });
      }),
      /** Back from parking: a fresh outage window, the same attempt again. */
      unpark: assign(({ context }) => update(context, { parked: null, outageSince: null, outageAt: null, repeating: true })),
      escalate: assign(({ context }, params: { ladder: readonly string[] }) =>
        update(context, { rung: context.rung + 1, model: params.ladder[context.rung + 1] ?? '', attempt: 0, feedback: [] }),
      ),
      accept: assign(({ context }) => update(context, { status: 'done' })),
      flag: assign(({ context }) => {
        const why = flagReason(context);
        return update(context, { status: 'flagged', reasons: [why, ...context.attempts.map(describeAttempt)] });
      }),
    },
  }).createMachine({
    id,
    // Read by `harness check`: a step turns its calls' failures into attempts and flags, and never fails itself.
    // `models`: every model the step can call (its ladder, then its scorer's judges), checked before a run starts.
    meta: { harness: 'model-step', models: [...new Set([...ladder, ...declaredModels(spec.scorer)])] },
    context: ({ input }) => ({
      step: id,
      messages: spec.prompt(input),
      pass: newPassId(),
      rung: 0,
      model: ladder[0] ?? defaultModelConfig.model,
      attempt: 0,
      outageTries: 0,
      outages: [],
      repeating: false,
      outageSince: null,
      outageAt: null,
      replyKey: null,
      outage: defaultOutagePolicy,
      attempts: [],
      feedback: [],
      retryAt: null,
      last: null,
      status: 'running',
      parked: null,
      reasons: [],
    }),
    initial: 'attempting',
    states: {
      attempting: {
        entry: 'beginAttempt',
        invoke: {
          id: 'attempt',
          src: 'attempt',
          input: ({ context }) => ({
            step: id,
            attemptKey: attemptKeyOf(context),
            model: context.model,
            attempt: context.attempt,
            messages: [...context.messages, ...context.feedback],
          }),
          onDone: { target: 'deciding', actions: 'recordAttempt' },
          onError: { target: 'deciding', actions: 'recordCrash' },
        },
      },
      deciding: {
        always: [
          { guard: and(['isValid', { type: 'meetsThreshold', params: { threshold } }]), target: 'done', actions: 'accept' },
          { guard: not('withinBudget'), target: 'flagged', actions: 'flag' },
          { guard: and(['isOutage', 'withinOutageBound']), target: 'backingOff', actions: { type: 'scheduleOutageRetry', params: { baseMs, capMs } } },
          { guard: 'isOutage', target: 'parked', actions: 'park' },
          { guard: and(['isInvalidOutput', { type: 'canRetry', params: { maxRetries } }]), target: 'attempting', actions: 'addFeedback' },
          { guard: { type: 'canEscalate', params: { ladder } }, target: 'attempting', actions: { type: 'escalate', params: { ladder } } },
          { target: 'flagged', actions: 'flag' },
        ],
      },
      backingOff: {
        invoke: {
          id: 'backoff',
          src: 'sleepUntil',
          input: ({ context }) => ({ until: context.retryAt ?? Date.now() }),
          onDone: 'attempting',
          onError: 'attempting',
        },
      },
      // Not final: the run stops being driven here (status `parked`) until its retry time, or a resume.
      parked: {
        tags: [parkedTag],
        // A resume (a person's, or a worker's at the retry time) tries the host again at once.
        on: { [retryParkedEvent]: { target: 'attempting', actions: 'unpark' } },
        invoke: {
          id: 'parked',
          src: 'sleepUntil',
          input: ({ context }) => ({ until: context.retryAt ?? Date.now() }),
          onDone: { target: 'attempting', actions: 'unpark' },
          onError: { target: 'attempting', actions: 'unpark' },
        },
      },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }): StepOutput<T> => {
      const done = context.status === 'done' && context.last !== null;
      const result = done ? context.last : null;
      // A reply accepted although the host cut its prompt (`context.onTruncation: 'flag'`) is never accepted silently.
      const cut = result?.metadata.context?.truncated ? [`${context.step}: prompt truncated by the host (${result.metadata.context.truncation ?? 'see the call'})`] : [];
      return {
        status: done ? 'done' : 'flagged',
        data: dataOf(result),
        result,
        attempts: context.attempts,
        reasons: context.reasons,
        flags: done ? cut : [`${context.step}: ${context.reasons[0] ?? 'flagged'}`],
      };
    },
  }));
}
