// The mark a model call takes for its journal entry must cover the snapshot that holds the call's key: otherwise the
// entry can reach disk before any checkpoint that finds it again, and a crash in between pays for the call twice.
import { createActor, setup, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { lendServices, type JournalEntry } from '../../src/steps/services.ts';
import { askStep, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();

describe('journal mark', () => {
  it('is taken after the transition that started the call: it counts the snapshot holding the call', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const ask = askStep({ config: { host: sim.url, timeoutMs: 5000 } });
    const root = setup({ actors: { ask } }).createMachine({
      initial: 'asking',
      states: { asking: { invoke: { src: 'ask', input: { question: 'q' }, onDone: 'done' } }, done: { type: 'final' } },
    });
    // Counted like the driver counts changes: one per machine snapshot event; `holding` is the first count at which
    // the root's persisted snapshot holds the call's actor.
    let changes = 0;
    let holding = -1;
    const marks: number[] = [];
    const recorded: (number | undefined)[] = [];
    const services = {
      limiter: null,
      budget: null,
      journal: {
        get: () => undefined,
        mark: () => {
          marks.push(changes);
          return changes;
        },
        record: async (_entry: JournalEntry, mark?: number) => {
          recorded.push(mark);
        },
      },
    };
    const actor = createActor(root, {
      inspect: (event) => {
        if (event.type !== '@xstate.snapshot' || !('value' in event.snapshot)) return;
        changes += 1;
        if (holding < 0 && event.actorRef === actor && JSON.stringify(actor.getPersistedSnapshot()).includes('"src":"attempt"')) holding = changes;
      },
    });
    lendServices(actor, services);
    actor.start();
    await toPromise(actor);
    expect(holding).toBeGreaterThan(0);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toBeGreaterThanOrEqual(holding);
    expect(recorded).toEqual(marks);
  });
});
