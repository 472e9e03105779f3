// forkRun against the Ollama simulator: reuse before the fork point, new calls after it, context patches, refusals.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { CheckpointNotFoundError, forkRun } from '../../src/runtime/fork.ts';
import { DefinitionChangedError, InputError, RunFinishedError } from '../../src/runtime/errors.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, flagsFrom, modelStep, stepGuards } from '../../src/steps/index.ts';
import { CorruptRunError, type FileStore, type RunRecord } from '../../src/store/index.ts';
import { runPaths } from '../../src/store/run-files.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { answerSchema, lastUser, modulePath, removeTempDirs, small, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

interface Topic {
  topic: string;
}
interface ChainContext extends Topic {
  results: string[];
  flags: string[];
}

/** Three model steps in a row, each asking about the context's `topic`; `extra` adds a state (a changed definition). */
function chainWorkflow(host: string, options: { extra?: boolean } = {}) {
  const step = (id: string) =>
    modelStep<Topic, z.infer<typeof answerSchema>>({
      id,
      prompt: (input) => [{ role: 'user', content: `${id}: ${input.topic}` }],
      schema: answerSchema,
      ladder: [small],
      maxRetries: 0,
      backoff: { baseMs: 10, capMs: 20 },
      config: { host, timeoutMs: 3000 },
    });
  const machine = setup({
    types: { context: {} as ChainContext, input: {} as Topic, output: {} as { results: string[] } },
    actors: { first: step('first'), second: step('second'), third: step('third') },
    guards: stepGuards,
  }).createMachine({
    id: 'chain',
    context: ({ input }) => ({ topic: input.topic, results: [], flags: [] }),
    initial: 'first',
    states: {
      first: {
        invoke: {
          src: 'first',
          input: ({ context }) => ({ topic: context.topic }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            { target: 'second', actions: assign({ results: ({ context, event }) => [...context.results, event.output.data?.answer ?? '?'] }) },
          ],
        },
      },
      second: {
        invoke: {
          src: 'second',
          input: ({ context }) => ({ topic: context.topic }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            { target: 'third', actions: assign({ results: ({ context, event }) => [...context.results, event.output.data?.answer ?? '?'] }) },
          ],
        },
      },
      third: {
        invoke: {
          src: 'third',
          input: ({ context }) => ({ topic: context.topic }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            {
              target: options.extra ? 'extra' : 'done',
              actions: assign({ results: ({ context, event }) => [...context.results, event.output.data?.answer ?? '?'] }),
            },
          ],
        },
      },
      ...(options.extra ? { extra: { always: 'done' } } : {}),
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ results: context.results }),
  });
  return defineWorkflow({ id: 'chain', input: z.object({ topic: z.string().min(1) }), machine });
}

/** Every prompt the echo simulators were asked, in order (reset per test). */
let asked: string[] = [];

/** A simulator that answers each prompt with the prompt itself, so a result names what its step was asked. */
function echo(): Promise<Simulator> {
  asked = [];
  return simulator({
    script: {
      '*': (req) => {
        asked.push(lastUser(req));
        return validReply(lastUser(req));
      },
    },
  });
}

async function finishedChain(sim: Simulator, store: FileStore, runId = 'source'): Promise<RunRecord> {
  const workflow = chainWorkflow(sim.url);
  const done = await runWorkflow({ store, workflow, modulePath, input: { topic: 'cats' }, runId });
  expect(done.status).toBe('done');
  expect(done.output).toEqual({ results: ['first: cats', 'second: cats', 'third: cats'] });
  expect(sim.stats().completed).toBe(3);
  return done;
}

/** The first checkpoint taken in state `second`: the first call journaled, the second in flight and not. */
async function middleSeq(store: FileStore, runId: string): Promise<number> {
  const history = await store.history(runId);
  const middle = history.find((entry) => entry.value === 'second');
  if (!middle) throw new Error('no checkpoint in state second');
  expect(middle.journalCount).toBe(1);
  return middle.seq;
}

/** Every file of a run directory with its content: to show a refusal or a fork changed nothing. */
function filesOf(store: FileStore, runId: string): Record<string, string> {
  const { dir } = runPaths(store.dir, runId);
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(`${dir}/${name}`, 'utf8')]));
}

describe('forkRun', () => {
  it('forks at a middle checkpoint: calls before it are reused, only the ones after it are made', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const at = await middleSeq(store, 'source');
    const sourceFiles = filesOf(store, 'source');

    // The source is only read: it may even be held by a driver while it is forked.
    const holder = await store.open('source');
    const heldFiles = filesOf(store, 'source');
    const forked = await forkRun({ store, runId: 'source', at, newRunId: 'fork-1', workflow: chainWorkflow(sim.url) });
    expect(filesOf(store, 'source')).toEqual(heldFiles);
    await holder.close();

    expect(forked.status).toBe('done');
    expect(forked.runId).toBe('fork-1');
    expect(forked.output).toEqual({ results: ['first: cats', 'second: cats', 'third: cats'] });
    expect(sim.stats().completed).toBe(5); // 3 for the source, then only second and third: first is not paid again
    expect(asked.slice(3)).toEqual(['second: cats', 'third: cats']);
    expect(forked.journal).toHaveLength(3);
    // What the simulator saw: 2 calls paid by the fork, the first one reused from the source (paid there once).
    expect(forked.usage).toMatchObject({ calls: 2, reused: 1 });
    expect(forked.journal.map((entry) => entry.reusedFrom ?? null)).toEqual(['source', null, null]);
    expect(forked.input).toEqual({ topic: 'cats' });
    expect(forked.workflow.hash).toBe((await store.read('source')).workflow.hash);
    expect(forked.createdAt > (await store.read('source')).createdAt).toBe(true);
    expect(filesOf(store, 'source')['history.ndjson']).toBe(sourceFiles['history.ndjson']);
    expect(filesOf(store, 'source')['journal.ndjson']).toBe(sourceFiles['journal.ndjson']);
  });

  it('merges a context patch into the restored root context: what runs after the fork sees it', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const at = await middleSeq(store, 'source');
    const forked = await forkRun({ store, runId: 'source', at, newRunId: 'dogs', workflow: chainWorkflow(sim.url), contextPatch: { topic: 'dogs' } });
    expect(forked.status).toBe('done');
    // The step in flight at the checkpoint restarts with the input it was given; the next step reads the patch.
    expect(forked.output).toEqual({ results: ['first: cats', 'second: cats', 'third: dogs'] });
    expect(asked.slice(3)).toEqual(['second: cats', 'third: dogs']);
  });

  it('refuses a fork of a run whose definition changed, like resume, and writes nothing', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const at = await middleSeq(store, 'source');
    const before = filesOf(store, 'source');
    const refusal = forkRun({ store, runId: 'source', at, newRunId: 'changed', workflow: chainWorkflow(sim.url, { extra: true }) });
    await expect(refusal).rejects.toBeInstanceOf(DefinitionChangedError);
    await expect(refusal).rejects.toThrow(/workflow chain changed since run source started .*give the workflow a migrate\(\)/);
    expect((await store.list()).runs.map((run) => run.runId)).toEqual(['source']);
    expect(filesOf(store, 'source')).toEqual(before);
    expect(sim.stats().completed).toBe(3);
  });

  it('refuses to fork from a checkpoint its cut journal no longer covers, and forks from one it still does', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const at = await middleSeq(store, 'source'); // counted 1 journaled call
    const journal = runPaths(store.dir, 'source').journal;
    writeFileSync(journal, '');
    const before = filesOf(store, 'source');
    const refusal = forkRun({ store, runId: 'source', at, newRunId: 'short', workflow: chainWorkflow(sim.url) });
    await expect(refusal).rejects.toBeInstanceOf(CorruptRunError);
    await expect(refusal).rejects.toThrow(`run source: its journal holds 0 calls but checkpoint ${at} was written when it held 1`);
    expect((await store.list()).runs.map((run) => run.runId)).toEqual(['source']);
    expect(filesOf(store, 'source')).toEqual(before);
    expect(sim.stats().completed).toBe(3);
    const fromStart = await forkRun({ store, runId: 'source', at: 1, newRunId: 'whole', workflow: chainWorkflow(sim.url) });
    expect(fromStart.status).toBe('done');
  });

  it('numbers the history as fork takes it, and refuses what it cannot fork from with nothing written', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const history = await store.history('source');
    expect(history.map((entry) => entry.seq)).toEqual(history.map((_, i) => i + 1));
    for (const entry of history) {
      const kept = await store.checkpointAt('source', entry.seq);
      expect(kept.checkpoint.status).toBe(entry.status);
      expect(kept.checkpoint.snapshot?.['value'] ?? null).toEqual(entry.value);
      expect(kept.journalCount).toBe(entry.journalCount);
    }
    expect(history.at(-1)?.status).toBe('done');
    const workflow = chainWorkflow(sim.url);
    const last = history.length;
    await expect(forkRun({ store, runId: 'source', at: last + 1, workflow })).rejects.toBeInstanceOf(CheckpointNotFoundError);
    await expect(forkRun({ store, runId: 'source', at: last, workflow })).rejects.toBeInstanceOf(RunFinishedError);
    await expect(forkRun({ store, runId: 'source', at: 1, workflow, contextPatch: { when: new Date() } })).rejects.toBeInstanceOf(InputError);
    await expect(forkRun({ store, runId: 'source', at: 1, workflow, input: { topic: '' } })).rejects.toBeInstanceOf(InputError);
    expect((await store.list()).runs).toHaveLength(1);

    // The first checkpoint: nothing journaled yet, so the fork pays for every call.
    expect(history[0]?.journalCount).toBe(0);
    const fromStart = await forkRun({ store, runId: 'source', at: 1, newRunId: 'again', workflow, input: { topic: 'owls' } });
    expect(fromStart.status).toBe('done');
    expect(fromStart.input).toEqual({ topic: 'owls' });
    expect(sim.stats().completed).toBe(6);
  });

  it('keeps history appends to at most about one checkpoint each (the cost of a step stays flat)', async () => {
    const sim = await echo();
    const store = tempStore();
    await finishedChain(sim, store);
    const lines = readFileSync(runPaths(store.dir, 'source').history, 'utf8').trimEnd().split('\n');
    const history = await store.history('source');
    expect(lines).toHaveLength(history.length);
    for (const [i, line] of lines.entries()) {
      const { checkpoint } = await store.checkpointAt('source', i + 1);
      const size = JSON.stringify(checkpoint).length;
      // The checkpoint whole, or what changed since the line before; with seq, time, journal count and epoch: never
      // the journal or earlier lines.
      expect(line.length).toBeLessThan(size + 140);
    }
  });
});
