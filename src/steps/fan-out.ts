// Bounded fan-out: a child machine that runs one worker per item, at most `concurrency` at a time, and joins them.
import { assign, enqueueActions, fromPromise, setup, type AnyActorLogic, type AnyActorRef, type AnyEventObject, type InputFrom, type OutputFrom } from 'xstate';
import { Slots } from '../llm/pool.ts';
import { harnessKind, type HarnessKind } from './harness-kind.ts';
import { itemLabel } from './labels.ts';
import { newPassId } from './pass-id.ts';
import { actorPath, resultEntry, servicesOf, type Journal, type RunSystem, type StepServices } from './services.ts';

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
  /** Part of the keys finished outputs are journaled under: a fan-out entered again never reads the last one's. */
  pass: string;
  /** Workers started; the next item's index. */
  started: number;
  /** Workers ended (done or failed): a slot is free as soon as its worker ends, before its output is durable. */
  ended: number;
  /** Items whose outcome is final: failed, or done with the output kept. The fan-out joins when all are. */
  settled: number;
  /**
   * Outside a run store only (plain `createActor`): outputs by index, null until the first one. In a run they are
   * journaled as they finish and read back once at the join, so a 64-item fan-out's checkpoint stays its 1-item size.
   */
  results: (TResult | null)[] | null;
  errors: (string | null)[];
  flags: string[];
  /**
   * Where the items are model steps: the slots their calls share (the concurrency), read by those calls from the
   * fan-out's context (`fanOutSlotsOf`), so a restored run makes them anew. Absent from fan-outs persisted before it:
   * those start no item ahead.
   */
  callSlots?: number;
}

/**
 * The call slots of a run's fan-outs whose items are model steps: one per fan-out actor, made when its items' calls
 * first ask for it (so a restored run has them too, from the fan-out's context). Lent with the run's services; where
 * they are absent (a plain `createActor`) a fan-out starts no item ahead.
 */
export class FanOutSlots {
  readonly #byFanOut = new WeakMap<object, Slots>();

  of(fanOut: object, limit: number): Slots {
    let slots = this.#byFanOut.get(fanOut);
    if (!slots) {
      slots = new Slots(limit);
      this.#byFanOut.set(fanOut, slots);
    }
    return slots;
  }
}

/**
 * The `callSlots` in a fan-out's context, or null: not a fan-out (its machine's meta says which are), its items not
 * model steps, or persisted before they had slots. The limit is kept in the context rather than the meta, which is
 * part of the stored definition: a run started before could not have been resumed.
 */
function declaredCallSlots(ref: AnyActorRef): number | null {
  // What a machine is, its logic says: no snapshot (nor XState's getMeta, built anew per call) is read for the others.
  if (!('logic' in ref) || harnessKind(ref.logic) !== 'fan-out') return null;
  const snapshot: unknown = ref.getSnapshot();
  if (typeof snapshot !== 'object' || snapshot === null) return null;
  const context: unknown = 'context' in snapshot ? snapshot.context : null;
  if (typeof context !== 'object' || context === null || !('callSlots' in context)) return null;
  return typeof context.callSlots === 'number' ? context.callSlots : null;
}

/**
 * The slots a call made by `self` (a step's call actor) takes before its host's, outermost fan-out first: one per
 * fan-out of model steps it runs under. They hold the fan-out's calls in flight to its concurrency while one item more
 * than that is started, so that item's call goes out as soon as another call's response has ended.
 */
export function fanOutSlotsOf(self: AnyActorRef, services: StepServices): Slots[] {
  const registry = services.fanOuts;
  if (!registry) return [];
  const found: Slots[] = [];
  for (let ref = self._parent; ref; ref = ref._parent) {
    const limit = declaredCallSlots(ref);
    if (limit !== null) found.unshift(registry.of(ref, limit));
  }
  return found;
}

/** A model step's machine (its meta says so): all it does outside is model calls, which take the fan-out's slots. */
const isModelStep = (logic: unknown): boolean => harnessKind(logic) === 'model-step';

/** The item index a child's done/error event is about (`xstate.done.actor.<id>.<index>`). */
function indexOf(event: AnyEventObject): number {
  return Number(event.type.slice(event.type.lastIndexOf('.') + 1));
}

function flagsIn(output: unknown): string[] {
  if (typeof output !== 'object' || output === null || !('flags' in output) || !Array.isArray(output.flags)) return [];
  return output.flags.map(String);
}

/** What the `keep` child is given: a finished item's output, to journal under its key. */
interface KeepInput {
  key: string;
  step: string;
  output: unknown;
}

/** Journals a finished item's output; the item counts as settled once it is durable. */
const keep = fromPromise<void, KeepInput>(async ({ input, system }) => {
  const journal = servicesOf(system).journal;
  // Nothing this entry names must be on disk before it (it is not a call's result): no checkpoint to wait for.
  await journal?.record(resultEntry(input.key, input.step, input.output), 0);
});

const keepPrefix = 'kept.';

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
  // Items that are model steps make nothing but calls, so their calls can be held to `concurrency` by the fan-out's
  // slots while one more item runs: it prepares while the others stream, and its call takes the first slot a call gives
  // back, at that response's end — the finished item's journal append, step machine and output no longer hold it.
  // Another worker (a sub-agent running tools) still counts as in flight until it ends.
  const lookAhead = isModelStep(spec.worker);
  const keyOf = (self: unknown, pass: string, index: number) => `${actorPath(self)}:${pass}.item.${index}`;
  // `xstate.done.actor.<id>.kept.<index>` against a worker's `xstate.done.actor.<id>.<index>` (whatever `id` is).
  const isKeep = (event: AnyEventObject) => event.type.slice(0, event.type.lastIndexOf('.') + 1).endsWith(`.${id}.${keepPrefix}`);

  /** Every item's output, read back from the journal at the join (or from context outside a run store). */
  function assemble(context: FanOutContext<TItem, TResult>, self: unknown, system: RunSystem): (TResult | null)[] {
    if (context.results) return context.results;
    const journal: Journal | null = servicesOf(system).journal;
    return context.items.map((_, index) => {
      if (context.errors[index] !== null) return null;
      const entry = journal?.get(keyOf(self, context.pass, index));
      if (!entry) throw new Error(`fan-out "${id}": item ${index}'s output is not in the journal`);
      const output: TResult | null = JSON.parse(entry.result.content);
      return output;
    });
  }

  return setup({
    types: {
      context: {} as FanOutContext<TItem, TResult>,
      input: {} as { items: readonly TItem[] },
      output: {} as FanOutOutput<TResult>,
    },
    actors: { worker: spec.worker, keep },
    guards: {
      allItemsSettled: ({ context }) => context.settled === context.items.length,
      isKeep: ({ event }) => isKeep(event),
    },
    actions: {
      // Starts workers until `concurrency` run (one more where their calls take the fan-out's slots) or the items run
      // out; `started` is the next item's index.
      fill: enqueueActions(({ context, system, enqueue }) => {
        const running = concurrency + (context.callSlots !== undefined && servicesOf(system).fanOuts ? 1 : 0);
        let started = context.started;
        while (started < context.items.length && started - context.ended < running) {
          enqueue.spawnChild('worker', { id: `${id}.${started}`, input: context.items[started] });
          started += 1;
        }
        if (started !== context.started) enqueue.assign({ started });
      }),
      // The worker's slot goes to the next item at once (`fill` follows); its output is journaled meanwhile and the
      // item settles when that write is durable — the join, which uses the outputs, waits for every one.
      itemDone: enqueueActions(({ context, event, self, system, enqueue }) => {
        const index = indexOf(event);
        const output: TResult = event.output;
        const flags = [...context.flags, ...flagsIn(output).map((flag) => `${itemLabel(id, index)}/${flag}`)];
        if (context.results || !servicesOf(system).journal) {
          const results = (context.results ?? context.items.map(() => null)).with(index, output ?? null);
          enqueue.assign({ results, flags, ended: context.ended + 1, settled: context.settled + 1 });
          return;
        }
        const input: KeepInput = { key: keyOf(self, context.pass, index), step: `${id}.${index}`, output: output ?? null };
        enqueue.spawnChild('keep', { id: `${id}.${keepPrefix}${index}`, input });
        enqueue.assign({ flags, ended: context.ended + 1 });
      }),
      itemKept: assign(({ context }) => ({ settled: context.settled + 1 })),
      itemFailed: assign(({ context, event }) => {
        const error: unknown = event.error;
        const errors = context.errors.with(indexOf(event), error instanceof Error ? error.message : String(error));
        // A failed write of an output (the run's store refused it) ends the drive; the item is recorded failed here.
        return isKeep(event) ? { errors, settled: context.settled + 1 } : { errors, ended: context.ended + 1, settled: context.settled + 1 };
      }),
      // A spawned child that ended stays among the children, its whole last snapshot (output included) persisted with
      // every checkpoint after: the fan-out's checkpoint grew with each item. Its event is handled: it goes.
      release: enqueueActions(({ event, enqueue }) => {
        enqueue.stopChild(event.type.replace(/^xstate\.(done|error)\.actor\./, ''));
      }),
    },
  }).createMachine({
    id,
    // Read by `harness check`: a failed item is recorded in `errors`, so the fan-out itself never fails. Read by its
    // items' calls: which of their ancestors are fan-outs (`fanOutSlotsOf`).
    meta: { harness: 'fan-out' satisfies HarnessKind },
    context: ({ input }) => ({
      items: [...input.items],
      pass: newPassId(),
      started: 0,
      ended: 0,
      settled: 0,
      // Decided when the first output comes: an invoked child is built before the run lends its services.
      results: null,
      errors: input.items.map(() => null),
      flags: [],
      ...(lookAhead ? { callSlots: concurrency } : {}),
    }),
    initial: 'running',
    states: {
      running: {
        entry: 'fill',
        on: {
          'xstate.done.actor.*': [{ guard: 'isKeep', actions: ['itemKept', 'release'] }, { actions: ['itemDone', 'release', 'fill'] }],
          'xstate.error.actor.*': [{ guard: 'isKeep', actions: ['itemFailed', 'release'] }, { actions: ['itemFailed', 'release', 'fill'] }],
        },
        always: { guard: 'allItemsSettled', target: 'joined' },
      },
      joined: { type: 'final' },
    },
    output: ({ context, self }) => ({ results: assemble(context, self, self.system), errors: context.errors, flags: context.flags }),
  });
}
