// The inspector's history and fork API over run files: checkpoints listed, a fork from the middle one pays only later calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInspector, type HistoryView, type Inspector } from '../../src/inspect/index.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import workflow from './fixtures/review.workflow.ts';
import { call, nextChange } from './http.ts';

const modulePath = fileURLToPath(new URL('./fixtures/review.workflow.ts', import.meta.url));
const otherModule = fileURLToPath(new URL('./fixtures/agent.workflow.ts', import.meta.url));

describe('inspector history and fork', () => {
  let sim: Simulator;
  let inspector: Inspector;
  let store: FileStore;
  let dir: string;
  const savedHost = process.env.OLLAMA_HOST;
  let write: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 5 });
    process.env.OLLAMA_HOST = sim.url;
    dir = mkdtempSync(join(tmpdir(), 'harness-inspect-fork-'));
    store = new FileStore({ dir });
    // Two model steps (draft, review), then waiting for APPROVE.
    expect((await runWorkflow({ store, workflow, modulePath, input: { topic: 'kelp' }, runId: 'source', limiter: null })).status).toBe('waiting');
    inspector = await startInspector({ store, pollMs: 200 });
    write = { 'content-type': 'application/json', 'x-harness-token': inspector.token };
  });

  afterAll(async () => {
    await inspector?.close();
    await sim?.close();
    if (savedHost === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = savedHost;
    rmSync(dir, { recursive: true, force: true });
  });

  const history = async (runId: string): Promise<HistoryView> => {
    const reply = await call(inspector.url, 'GET', `/api/runs/${runId}/history`);
    expect(reply.status).toBe(200);
    return reply.json() as HistoryView;
  };
  /** The first checkpoint in `reviewing`: the draft call journaled, the review call not yet. */
  const middle = async (runId: string): Promise<number> => {
    const row = (await history(runId)).checkpoints.find((c) => c.value === 'reviewing');
    expect(row?.journalCount).toBe(1);
    return row?.seq ?? -1;
  };
  const fork = (runId: string, body: unknown, headers = write) => call(inspector.url, 'POST', `/api/runs/${runId}/fork`, headers, JSON.stringify(body));

  it('lists the checkpoints as the store keeps them, with active states spelled out', async () => {
    const view = await history('source');
    expect(view.runId).toBe('source');
    const kept = await store.history('source');
    expect(view.checkpoints.map(({ active: _, calls: __, ...entry }) => entry)).toEqual(kept);
    expect(view.checkpoints.map((c) => c.seq)).toEqual(kept.map((_, i) => i + 1));
    expect(view.checkpoints.at(-1)).toMatchObject({ status: 'waiting', value: 'approval', active: ['approval'], journalCount: 2, calls: '2' });
    expect(view.checkpoints.map((c) => c.active.join())).toEqual(expect.arrayContaining(['drafting', 'reviewing', 'approval']));
    expect((await call(inspector.url, 'GET', '/api/runs/nobody/history')).status).toBe(404);
  });

  it('forks from the middle checkpoint: 202 with the new id, the draft reused, only the review call made again', async () => {
    const at = await middle('source');
    const before = sim.stats().requests;
    const news = nextChange(inspector.url, 'forked');
    await news.ready;
    const reply = await fork('source', { at, runId: 'forked', contextPatch: { topic: 'seals' } });
    expect(reply.status).toBe(202);
    expect(reply.json()).toMatchObject({ runId: 'forked', from: { runId: 'source', at } });
    expect(await news.changed).toEqual({ runId: 'forked' });
    await vi.waitFor(async () => expect((await store.read('forked')).status).toBe('waiting'), { timeout: 10_000 });
    expect(sim.stats().requests - before).toBe(1);
    const forked = await store.read('forked');
    expect(forked.journal.map((e) => e.step)).toEqual(['draft', 'review']);
    // The same call, marked as the source's: the fork replays it and never counts it as paid.
    expect(forked.journal[0]).toEqual({ ...(await store.read('source')).journal[0], reusedFrom: 'source' });
    expect(forked.usage).toMatchObject({ calls: 1, reused: 1 });
    expect(forked.snapshot?.['context']).toMatchObject({ topic: 'seals' });
    expect((await store.read('source')).status).toBe('waiting');
  });

  it('gives the new run a fresh id when none is asked for', async () => {
    const reply = await fork('source', { at: await middle('source') });
    expect(reply.status).toBe(202);
    const { runId } = reply.json() as { runId: string };
    expect(runId).toMatch(/^review-note-/);
    await vi.waitFor(async () => expect((await store.read(runId)).status).toBe('waiting'), { timeout: 10_000 });
  });

  it('maps refusals to statuses by error code, and writes nothing', async () => {
    const runs = async () => (await store.list()).runs.map((r) => r.runId).sort();
    const existing = await runs();
    const last = (await history('source')).checkpoints.length;
    const unknown = await fork('source', { at: last + 5 });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'RUN_NOT_FOUND', name: 'CheckpointNotFoundError' });
    expect((await fork('nobody', { at: 1 })).status).toBe(404);
    expect((await fork('source', { at: 0 })).status).toBe(400);
    expect((await fork('source', { at: '2' })).status).toBe(400);
    expect((await fork('source', { at: 1, runId: '../x' })).json()).toMatchObject({ code: 'INVALID_RUN_ID' });
    const patch = await fork('source', { at: 1, contextPatch: [1] });
    expect(patch.status).toBe(400);
    expect(patch.json()).toMatchObject({ code: 'INVALID_INPUT' });
    const taken = await fork('source', { at: await middle('source'), runId: 'forked' });
    expect(taken.status).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'RUN_EXISTS' });
    expect((await fork('source', { at: 1 }, { 'content-type': 'application/json' })).status).toBe(403);
    expect(await runs()).toEqual(existing);
  });

  it('refuses a checkpoint where the run had finished, and a run whose definition changed', async () => {
    await runWorkflow({ store, workflow, modulePath, input: { topic: 'reef' }, runId: 'finished', limiter: null });
    expect((await sendToRun({ store, runId: 'finished', event: { type: 'APPROVE' }, limiter: null })).status).toBe('done');
    const done = (await history('finished')).checkpoints.at(-1);
    expect(done?.status).toBe('done');
    const finished = await fork('finished', { at: done?.seq });
    expect(finished.status).toBe(409);
    expect(finished.json()).toMatchObject({ code: 'RUN_FINISHED', error: expect.stringContaining('pick an earlier one') });

    // Stored as if from another module: loading the run's module now gives a different definition.
    await runWorkflow({ store, workflow, modulePath: otherModule, input: { topic: 'tide' }, runId: 'moved', limiter: null });
    const changed = await fork('moved', { at: await middle('moved') });
    expect(changed.status).toBe(409);
    expect(changed.json()).toMatchObject({ code: 'DEFINITION_CHANGED' });
    expect((await store.list()).runs.filter((r) => r.runId.startsWith('review-note-'))).toHaveLength(1);
  });
});
