// A journal append the store loses (PostgreSQL restarting, say) is not a model failure: the drive stops at its last
// checkpoint with the store's error, and a resume makes the call again — the step is never flagged for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkflow, resumeWorkflow, runWorkflow } from '../../src/runtime/index.ts';
import { MemoryStore, StoreUnavailableError, type RunSession, type RunStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { stepsModule } from '../worker/helpers.ts';

/** `memory` as a store whose `failAt`-th journal append (counted across sessions) fails as an unreachable store does. */
function failingAppend(memory: MemoryStore, failAt: number): RunStore {
  let appends = 0;
  const wrap = (session: RunSession): RunSession => ({
    get runId() {
      return session.runId;
    },
    get epoch() {
      return session.epoch;
    },
    get record() {
      return session.record;
    },
    append: async (entry) => {
      if (++appends === failAt) throw new StoreUnavailableError('the run store is unavailable: connection refused');
      return session.append(entry);
    },
    commit: (checkpoint, timeline) => session.commit(checkpoint, timeline),
    migrate: (hash, definition, version) => session.migrate(hash, definition, version),
    close: () => session.close(),
  });
  return {
    location: 'memory, failing an append',
    create: async (meta) => wrap(await memory.create(meta)),
    open: async (runId) => wrap(await memory.open(runId)),
    read: (runId) => memory.read(runId),
    readHead: (runId) => memory.readHead(runId),
    list: () => memory.list(),
    history: (runId) => memory.history(runId),
    checkpointAt: (runId, seq) => memory.checkpointAt(runId, seq),
    requestCancel: (runId) => memory.requestCancel(runId),
    watchCancel: (runId, cancel) => memory.watchCancel(runId, cancel),
    clearCancel: (runId) => memory.clearCancel(runId),
    putVersion: (version) => memory.putVersion(version),
    getVersion: (hash) => memory.getVersion(hash),
  };
}

describe('a journal append the store loses', () => {
  let sim: Simulator;
  const savedHost = process.env.OLLAMA_HOST;
  beforeAll(async () => {
    sim = await startSimulator({ script: { '*': (req) => JSON.stringify({ answer: `re ${req.messages.at(-1)?.content ?? ''}` }) } });
    process.env.OLLAMA_HOST = sim.url;
  });
  afterAll(async () => {
    await sim.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
  });

  it('stops the drive at its last checkpoint with the store error; a resume makes the call again and ends as usual', async () => {
    const memory = new MemoryStore();
    const { workflow, modulePath } = await loadWorkflow(stepsModule);
    const drive = runWorkflow({ store: failingAppend(memory, 2), workflow, modulePath, input: { question: 'x' }, runId: 'lost-append' });
    await expect(drive).rejects.toBeInstanceOf(StoreUnavailableError);
    const left = await memory.read('lost-append');
    expect(left.status).toBe('running'); // not moved on past the step whose reply was lost
    expect(left.output).toBeUndefined();
    expect(left.journal.map((e) => e.step)).toEqual(['first']);

    const resumed = await resumeWorkflow({ store: memory, runId: 'lost-append', workflow });
    expect(resumed.status).toBe('done');
    expect(resumed.output).toEqual({ answers: ['re first: x', 're second: x'] });
  });
});
