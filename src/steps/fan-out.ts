// Bounded fan-out: a child machine that runs one worker per item, at most `concurrency` at a time, and joins them.
import { assign, enqueueActions, setup, type AnyActorLogic, type AnyEventObject, type InputFrom, type OutputFrom } from 'xstate';
import { itemLabel } from './labels.ts';

export interface FanOutSpec<TWorker extends AnyActorLogic> {
  /** Names the items' actors (`<id>.<index>`), which journal keys and labels (`work[2]/implement`) are built from. */
  id: string;
  /** The logic run once per item: a sub-agent machine, a model step, or promise logic. */
  worker: TWorker;
  concurrency: number;
}

export interface FanOutOutput<TResult> {
  /** By item index; null where the item failed. */
  results: (TResult | null)[];
  errors: (string | null)[];
  /** The items' own flags (`work[2]/implement: …`), ready to become the run's flags. */
  flags: string[];
}

interface FanOutContext<TItem, TResult> {
  items: TItem[];
  started: number;
  finished: number;
  results: (TResult | null)[];
  errors: (string | null)[];
  flags: string[];
}

/** The item index a child's done/error event is about (`xstate.done.actor.<id>.<index>`). */
function indexOf(event: AnyEventObject): number {
  return Number(event.type.slice(event.type.lastIndexOf('.') + 1));
}

function flagsIn(output: unknown): string[] {
  if (typeof output !== 'object' || output === null || !('flags' in output) || !Array.isArray(output.flags)) return [];
  return output.flags.map(String);
}

/**
 * A fan-out as a machine: invoke it with `{ items }` (each item is the worker's input) and read `output.results`.
 *
 * @example
 * const work = fanOut({ id: 'work', worker: taskAgent, concurrency: 2 });
 * // setup({ actors: { work } }) … invoke: { src: 'work', input: ({ context }) => ({ items: context.tasks }), onDone: … }
 */
export function fanOut<TWorker extends AnyActorLogic>(spec: FanOutSpec<TWorker>) {
  type TItem = InputFrom<TWorker>;
  type TResult = OutputFrom<TWorker>;
  const { id, concurrency } = spec;
  if (!(concurrency >= 1)) throw new TypeError(`fan-out "${id}": concurrency must be at least 1`);

  return setup({
    types: {
      context: {} as FanOutContext<TItem, TResult>,
      input: {} as { items: readonly TItem[] },
      output: {} as FanOutOutput<TResult>,
    },
    actors: { worker: spec.worker },
    guards: {
      allItemsDone: ({ context }) => context.finished === context.items.length,
    },
    actions: {
      // Starts workers until `concurrency` run or the items run out; `started` is the next item's index.
      fill: enqueueActions(({ context, enqueue }) => {
        let started = context.started;
        while (started < context.items.length && started - context.finished < concurrency) {
          enqueue.spawnChild('worker', { id: `${id}.${started}`, input: context.items[started] });
          started += 1;
        }
        if (started !== context.started) enqueue.assign({ started });
      }),
      itemDone: assign(({ context, event }) => {
        const index = indexOf(event);
        const output: TResult = event.output;
        const results = context.results.with(index, output ?? null);
        const flags = [...context.flags, ...flagsIn(output).map((flag) => `${itemLabel(id, index)}/${flag}`)];
        return { results, flags, finished: context.finished + 1 };
      }),
      itemFailed: assign(({ context, event }) => {
        const error: unknown = event.error;
        const errors = context.errors.with(indexOf(event), error instanceof Error ? error.message : String(error));
        return { errors, finished: context.finished + 1 };
      }),
    },
  }).createMachine({
    id,
    // Read by `harness check`: a failed item is recorded in `errors`, so the fan-out itself never fails.
    meta: { harness: 'fan-out' },
    context: ({ input }) => ({
      items: [...input.items],
      started: 0,
      finished: 0,
      results: input.items.map(() => null),
      errors: input.items.map(() => null),
      flags: [],
    }),
    initial: 'running',
    states: {
      running: {
        entry: 'fill',
        on: {
          'xstate.done.actor.*': { actions: ['itemDone', 'fill'] },
          'xstate.error.actor.*': { actions: ['itemFailed', 'fill'] },
        },
        always: { guard: 'allItemsDone', target: 'joined' },
      },
      joined: { type: 'final' },
    },
    output: ({ context }) => ({ results: context.results, errors: context.errors, flags: context.flags }),
  });
}
