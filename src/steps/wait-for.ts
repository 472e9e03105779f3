// A state that waits for a person (APPROVE / REJECT …), tagged for the runtime, with an optional persist-safe deadline
// and the events it takes declared with zod schemas (checked before a run takes them).
import type { z, ZodType } from 'zod';
import { assertZod4Schema } from '../util/zod-version.ts';
import { ownInvoke } from './invoke-names.ts';

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

/**
 * One object type out of an intersection, as editors and type tests show it; without index signatures, which
 * `z.object({})` gives (`Record<string, never>`) and which would leave no room for `type`.
 */
type Flat<T> = { [P in keyof T as string extends P ? never : number extends P ? never : P]: T[P] } & {};

/**
 * Where a state config made by `waitFor` keeps its declared events. A symbol: spread into the state with its other
 * keys, kept on the state node's config by XState, and left out of the machine's JSON (definition and hash). From the
 * global registry, so a second copy of the package in one process still finds the schemas.
 */
export const declaredEventsKey: unique symbol = Symbol.for('xstate-llm-harness.waitFor.events');

function isSchema(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && 'safeParse' in value && typeof value.safeParse === 'function';
}

/** The schemas a `waitFor` config declared, given what its `declaredEventsKey` holds; undefined for anything else. */
export function declaredSchemas(value: unknown): Record<string, ZodType> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const schemas: Record<string, ZodType> = {};
  for (const [type, schema] of Object.entries(value)) {
    if (!isSchema(schema)) return undefined;
    schemas[type] = schema;
  }
  return schemas;
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
  readonly [declaredEventsKey]?: EventSchemas;
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
  let declared: { [declaredEventsKey]?: EventSchemas } = {};
  if (events) {
    for (const [type, schema] of Object.entries(events)) assertZod4Schema(schema, `waitFor event ${type}`);
    declared = { [declaredEventsKey]: events };
  }
  if (!timeout) return { tags, ...declared };
  // The deadline is fixed when the state is entered: it is the timer's input, persisted with it and restored as is.
  const input = () => ({ until: Date.now() + timeout.ms });
  return { tags, ...declared, invoke: ownInvoke({ src: 'sleepUntil' as const, input, onDone: { target: timeout.target } }) };
}
