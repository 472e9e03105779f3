// A state that waits for a person (APPROVE / REJECT …), tagged for the runtime, with an optional persist-safe deadline
// and the events it takes declared with zod schemas (checked before a run takes them).
import type { z, ZodType } from 'zod';
import { assertZod4Schema } from '../util/zod-version.ts';

/** The tag the runtime reads to report a run as `waiting` (and to stop driving it until an event arrives). */
export const waitingTag = 'waiting';

/** The tag of a step that gave up on an unreachable host for now: the run is `parked`, resumable, never final. */
export const parkedTag = 'parked';

/** Sent by the runtime to every parked step when a run is resumed: try the host again now. */
export const retryParkedEvent = 'harness.retryParked';

/** A wait's events: each type with a zod schema of its payload, the event's fields besides `type`. */
export type EventSchemas = Record<string, ZodType<Record<string, unknown>>>;

/**
 * The events declared by `schemas` as XState has them, payload on the event (`{ type: 'APPROVE'; by: string }`):
 * what a machine's `types.events` can be.
 *
 * @example
 * const decisions = { APPROVE: z.object({ by: z.string() }), REJECT: z.object({ feedback: z.string() }) };
 * setup({ types: { events: {} as EventsOf<typeof decisions> } })
 */
export type EventsOf<S extends EventSchemas> = { [K in keyof S & string]: Flat<{ type: K } & z.output<S[K]>> }[keyof S & string];

/** One object type out of an intersection, as editors and type tests show it. */
type Flat<T> = { [P in keyof T]: T[P] } & {};

/**
 * Where a state config made by `waitFor` keeps its declared events. A symbol: spread into the state with its other
 * keys, kept on the state node's config by XState, and left out of the machine's JSON (definition and hash).
 */
export const declaredEventsKey: unique symbol = Symbol.for('xstate-llm-harness.waitFor.events');

/** The schemas behind each `declaredEventsKey` value: a token on the config, so reading it back needs no cast. */
const schemasByToken = new WeakMap<object, EventSchemas>();

/** The schemas a `waitFor` config declared, given what its `declaredEventsKey` holds; undefined for anything else. */
export function declaredSchemas(token: unknown): EventSchemas | undefined {
  return typeof token === 'object' && token !== null ? schemasByToken.get(token) : undefined;
}

export interface WaitForSpec<TTarget extends string, S extends EventSchemas = EventSchemas> {
  /** Leave for `target` after `ms`, counted from entering the state and surviving restarts (any length). */
  timeout?: { ms: number; target: TTarget };
  /**
   * The events taken here, each with a zod schema of its payload: `harness send`, `sendToRun` and the inspector refuse
   * a payload that fails it (the run unchanged), and deliver the parsed payload. Type the machine's events with
   * `EventsOf<typeof events>`.
   */
  events?: S;
}

interface WaitState {
  tags: string[];
  readonly [declaredEventsKey]?: object;
}

type TimedWait<TTarget extends string> = WaitState & {
  invoke: { src: 'sleepUntil'; input: () => { until: number }; onDone: { target: TTarget } };
};

/**
 * The waiting part of a state: spread it into the state and write its events as usual, so they stay typed. A
 * timeout invokes the persist-safe timer by name: register it with `setup({ actors: { sleepUntil } })`.
 *
 * @example
 * review: { ...waitFor({ events: decisions, timeout: { ms: 86_400_000, target: 'expired' } }),
 *   on: { APPROVE: { target: 'approved', actions: assign({ by: ({ event }) => event.by }) }, REJECT: 'rejected' } }
 */
export function waitFor<S extends EventSchemas>(spec?: Omit<WaitForSpec<string, S>, 'timeout'>): WaitState;
export function waitFor<TTarget extends string, S extends EventSchemas = EventSchemas>(
  spec: WaitForSpec<TTarget, S> & { timeout: NonNullable<WaitForSpec<TTarget, S>['timeout']> },
): TimedWait<TTarget>;
export function waitFor<TTarget extends string, S extends EventSchemas>(spec: WaitForSpec<TTarget, S> = {}): WaitState | TimedWait<TTarget> {
  const { timeout, events } = spec;
  const tags = [waitingTag];
  let declared: { [declaredEventsKey]?: object } = {};
  if (events) {
    for (const [type, schema] of Object.entries(events)) assertZod4Schema(schema, `waitFor event ${type}`);
    const token = {};
    schemasByToken.set(token, events);
    declared = { [declaredEventsKey]: token };
  }
  if (!timeout) return { tags, ...declared };
  // The deadline is fixed when the state is entered: it is the timer's input, persisted with it and restored as is.
  const input = () => ({ until: Date.now() + timeout.ms });
  return { tags, ...declared, invoke: { src: 'sleepUntil' as const, input, onDone: { target: timeout.target } } };
}
