// Services reach a run's actors through its actor system: lent once per run, found by every actor of the tree (named or
// inline, however deep), never copied into the machine, and standalone outside a run.
import { createActor, fromPromise, setup, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { isServicesHolder, lendServices, servicesOf, standaloneServices, type StepServices } from '../../src/steps/services.ts';

let seen: string[] = [];

/** Notes the `runKey` of the services it finds, from wherever it runs (`input`: where that is). */
const whoAmI = fromPromise<string | null, string>(async ({ input, system }) => {
  const runKey = servicesOf(system).runKey ?? null;
  seen.push(`${input} ${runKey}`);
  return runKey;
});

const inner = setup({ actors: { whoAmI } }).createMachine({
  initial: 'asking',
  states: { asking: { invoke: { src: 'whoAmI', input: 'deep', onDone: 'done' } }, done: { type: 'final' } },
  output: () => 'inner done',
});

const root = setup({ actors: { inner, whoAmI } }).createMachine({
  type: 'parallel',
  states: {
    named: { initial: 'a', states: { a: { invoke: { src: 'whoAmI', input: 'named', onDone: 'b' } }, b: { type: 'final' } } },
    inline: {
      initial: 'a',
      states: {
        a: { invoke: { src: fromPromise(async ({ system }) => void seen.push(`inline ${servicesOf(system).runKey ?? null}`)), onDone: 'b' } },
        b: { type: 'final' },
      },
    },
    deep: { initial: 'a', states: { a: { invoke: { src: 'inner', onDone: 'b' } }, b: { type: 'final' } } },
  },
});

const services = (runKey: string): StepServices => ({ journal: null, limiter: null, budget: null, runKey });

describe('services lent through the actor system', () => {
  it('reach named, inline and nested actors of the run, and each run its own, from one shared machine', async () => {
    seen = [];
    const a = createActor(root);
    const b = createActor(root);
    lendServices(a, services('run-a'));
    lendServices(b, services('run-b'));
    a.start();
    b.start();
    await Promise.all([toPromise(a), toPromise(b)]);
    expect(seen.sort()).toEqual(['deep run-a', 'deep run-b', 'inline run-a', 'inline run-b', 'named run-a', 'named run-b']);
    expect(servicesOf(a.system).runKey).toBe('run-a');
    expect(servicesOf(b.system).runKey).toBe('run-b');
  });

  it('are standalone for an actor outside a run', async () => {
    expect(await toPromise(createActor(whoAmI, { input: 'alone' }).start())).toBeNull();
    expect(servicesOf(createActor(whoAmI, { input: 'alone' }).system)).toBe(standaloneServices);
  });

  it('are held by an actor that is not one of the run\'s: no child, no snapshot in the checkpoint, told apart for inspectors', () => {
    const holders: unknown[] = [];
    const actor = createActor(root, { inspect: (event) => void (event.type === '@xstate.actor' && isServicesHolder(event.actorRef) && holders.push(event.actorRef)) });
    lendServices(actor, services('run-c'));
    expect(holders).toHaveLength(1);
    expect(JSON.stringify(actor.getPersistedSnapshot())).not.toContain('run-c');
    expect(isServicesHolder(actor)).toBe(false);
  });
});
