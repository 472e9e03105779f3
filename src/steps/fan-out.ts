// Bounded fan-out: spawn one named child per item, at most `concurrency` at a time, and join when all are done.
import { assign, enqueueActions, type AnyEventObject, type AnyStateNodeConfig, type ProvidedActor } from 'xstate';
import type { FanOutState, HarnessContext } from './context.ts';

export interface FanOutSpec<TContext extends HarnessContext = HarnessContext, TItem = unknown> {
  /** Unique within its machine: names `context.fanouts[id]` and the children (`<id>.<index>`). */
  id: string;
  /** A named actor (registered in setup) run once per item: a sub-agent machine or promise logic. */
  src: string;
  items: (args: { context: TContext }) => readonly TItem[];
  /** Input of the child for one item. Default: `{ item, index }`. */
  input?: (args: { context: TContext; item: TItem; index: number }) => unknown;
  concurrency: number;
}

export interface FanOutTargets {
  /** Taken when every item has finished; outputs in `context.fanouts[id].results` (by index). */
  onDone: string;
}

export interface FanOutParams {
  fanOut: string;
}

type Args = { context: HarnessContext; event: AnyEventObject };

function fanOutOf(context: HarnessContext, id: string): FanOutState {
  const state = context.fanouts[id];
  if (!state) throw new Error(`fan-out "${id}" has no state in context.fanouts: was its state entered?`);
  return state;
}

/** The item index a child's done/error event is about (`xstate.done.actor.<id>.<index>`). */
function indexOf(event: AnyEventObject): number {
  return Number(event.type.slice(event.type.lastIndexOf('.') + 1));
}

export const fanOutGuards = {
  allItemsDone: ({ context }: { context: HarnessContext }, { fanOut }: FanOutParams) => {
    const state = fanOutOf(context, fanOut);
    return state.finished === state.total;
  },
};

export const fanOutActions = {
  itemDone: assign(({ context, event }: Args, { fanOut }: FanOutParams) => {
    const state = fanOutOf(context, fanOut);
    const index = indexOf(event);
    const results = [...state.results];
    results[index] = (event as AnyEventObject & { output?: unknown }).output ?? null;
    return { fanouts: { ...context.fanouts, [fanOut]: { ...state, results, finished: state.finished + 1 } } };
  }),
  itemFailed: assign(({ context, event }: Args, { fanOut }: FanOutParams) => {
    const state = fanOutOf(context, fanOut);
    const index = indexOf(event);
    const errors = [...state.errors];
    const error = (event as AnyEventObject & { error?: unknown }).error;
    errors[index] = error instanceof Error ? error.message : String(error);
    return { fanouts: { ...context.fanouts, [fanOut]: { ...state, errors, finished: state.finished + 1 } } };
  }),
};

export function fanOut<TContext extends HarnessContext, TItem>(spec: FanOutSpec<TContext, TItem>) {
  const { id, src, concurrency } = spec;
  if (!(concurrency >= 1)) throw new TypeError(`fan-out "${id}": concurrency must be at least 1`);
  const params = { fanOut: id };

  // Starts children until `concurrency` run or the items run out; `started` is the next item's index.
  const fill = enqueueActions<HarnessContext, AnyEventObject, undefined, AnyEventObject, ProvidedActor>(({ context, enqueue }) => {
    const state = fanOutOf(context, id);
    const items = spec.items({ context: context as TContext });
    let started = state.started;
    while (started < state.total && started - state.finished < concurrency) {
      const index = started;
      const item = items[index] as TItem;
      const input = spec.input ? spec.input({ context: context as TContext, item, index }) : { item, index };
      enqueue.spawnChild(src, { id: `${id}.${index}`, input });
      started += 1;
    }
    if (started !== state.started) {
      enqueue.assign({ fanouts: { ...context.fanouts, [id]: { ...state, started } } });
    }
  });

  const start = assign(({ context }: Args) => {
    const total = spec.items({ context: context as TContext }).length;
    const fresh: FanOutState = { total, started: 0, finished: 0, results: new Array(total).fill(null), errors: new Array(total).fill(null) };
    return { fanouts: { ...context.fanouts, [id]: fresh } };
  });

  return {
    id,
    state: <T = AnyStateNodeConfig>({ onDone }: FanOutTargets): T => ({
      entry: [start, fill],
      on: {
        [`xstate.done.actor.${id}.*`]: { actions: [{ type: 'itemDone', params }, fill] },
        [`xstate.error.actor.${id}.*`]: { actions: [{ type: 'itemFailed', params }, fill] },
      },
      always: { guard: { type: 'allItemsDone', params }, target: onDone },
    }) as unknown as T,
  };
}
