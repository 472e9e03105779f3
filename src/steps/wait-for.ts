// A state that waits for a person (e.g. APPROVE / REJECT with data), with an optional persist-safe deadline.
import { assign, type AnyEventObject, type AnyStateNodeConfig } from 'xstate';
import type { HarnessContext, WaitState } from './context.ts';

/** The tag the runtime reads to report a run as `waiting` (and to stop driving it until an event arrives). */
export const waitingTag = 'waiting';

export interface WaitForSpec {
  /** Unique within its machine: names `context.waits[id]`, where the decision is kept. */
  id: string;
  /** Event type → target state. The event's `data` is stored with the decision. */
  events: Record<string, string>;
  /** Optional deadline: after `ms` (measured from entering the state, surviving restarts) go to `target`. */
  timeout?: { ms: number; target: string };
}

type Args = { context: HarnessContext; event: AnyEventObject };

export const waitActions = {
  recordDecision: assign(({ context, event }: Args, { wait }: { wait: string }) => {
    const state: WaitState = context.waits[wait] ?? { until: null, decision: null };
    const decision = { type: event.type, data: (event as { data?: unknown }).data ?? null, at: new Date().toISOString() };
    return { waits: { ...context.waits, [wait]: { ...state, decision } } };
  }),
};

export function waitFor<T = AnyStateNodeConfig>(spec: WaitForSpec): T {
  const params = { wait: spec.id };
  const on: Record<string, { target: string; actions: { type: string; params: typeof params } }> = {};
  for (const [type, target] of Object.entries(spec.events)) on[type] = { target, actions: { type: 'recordDecision', params } };
  const timeout = spec.timeout;

  const begin = assign(({ context }: Args) => {
    const until = timeout ? Date.now() + timeout.ms : null;
    return { waits: { ...context.waits, [spec.id]: { until, decision: null } } };
  });

  const config: AnyStateNodeConfig = {
    tags: [waitingTag],
    entry: begin,
    on,
    ...(timeout
      ? {
          invoke: {
            src: 'sleepUntil',
            input: ({ context }: { context: HarnessContext }) => ({ until: context.waits[spec.id]?.until ?? Date.now() }),
            onDone: timeout.target,
            onError: timeout.target,
          },
        }
      : {}),
  };
  return config as T;
}
