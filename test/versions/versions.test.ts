// A run keeps the code it started with: edits and deletions of its source never reach it, two versions share a worker.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setup } from 'xstate';
import { z } from 'zod';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadVersion, loadWorkflow, storeVersion } from '../../src/runtime/load.ts';
import { resumeWorkflow, runWorkflow, sendToRun, submitRun } from '../../src/runtime/runs.ts';
import { defineWorkflow } from '../../src/steps/index.ts';
import { FileStore, MemoryStore, versionOf } from '../../src/store/index.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { importVersion } from '../../src/versions/index.ts';
import { startWorker, type Worker } from '../../src/worker/index.ts';
import { until, untilStatus } from '../worker/helpers.ts';
import { writeToneModule } from './module.ts';
import { recordingSimulator } from './recording.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-versions-'));
const sims: Simulator[] = [];
const workers: Worker[] = [];
const savedHost = process.env.OLLAMA_HOST;
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(sims.splice(0).map((s) => s.close()));
  process.env.OLLAMA_HOST = savedHost;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A recording simulator (see recording.ts) that this file's runs call. */
async function recorded(hold?: { match: string; until: Promise<void> }) {
  const recording = await recordingSimulator(hold);
  sims.push(recording.sim);
  process.env.OLLAMA_HOST = recording.sim.url;
  return recording;
}

describe('workflow versions', () => {
  it('an edited prompt reaches new runs only: the running run finishes on its old code, both in one worker process', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { prompts, held } = await recorded({ match: 'ask: old run', until: gate });
    const store = new FileStore({ dir: join(dir, 'edit-runs') });
    const file = join(dir, 'edit.workflow.mts');
    writeToneModule(file, { tone: 'v1', waitState: null });
    const v1 = await loadWorkflow(file);
    await submitRun({ store, workflow: v1.workflow, modulePath: file, version: v1.version, input: { question: 'old run' }, runId: 'old' });
    workers.push(startWorker({ store, pollMs: 30, checkModels: false }));
    await until(() => (held.length > 0 ? true : undefined)); // the old run's first call is in flight in the worker

    writeToneModule(file, { tone: 'v2', waitState: null }); // the prompt is edited meanwhile
    const v2 = await loadWorkflow(file);
    expect(v2.version.hash).not.toBe(v1.version.hash);
    await submitRun({ store, workflow: v2.workflow, modulePath: file, version: v2.version, input: { question: 'new run' }, runId: 'new' });
    await untilStatus(store, 'new', ['done']);
    release();
    const old = await untilStatus(store, 'old', ['done']);

    expect(prompts.filter((p) => p.includes('old run'))).toEqual(['v1 ask: old run', 'v1 answer: old run']);
    expect(prompts.filter((p) => p.includes('new run'))).toEqual(['v2 ask: new run', 'v2 answer: new run']);
    expect(versionOf(old)).toBe(v1.version.hash);
    expect(versionOf(await store.read('new'))).toBe(v2.version.hash);
    expect((await store.history('old')).every((h) => h.version === v1.version.hash)).toBe(true);
  });

  it('a waiting run resumes on its stored version after its source was edited, then deleted', async () => {
    const { prompts } = await recorded();
    const store = new FileStore({ dir: join(dir, 'gone-runs') });
    const file = join(dir, 'gone.workflow.mts');
    writeToneModule(file, { tone: 'first draft' });
    const loaded = await loadWorkflow(file);
    const waiting = await runWorkflow({ store, ...loaded, input: { question: 'q' }, runId: 'waits' });
    expect(waiting.status).toBe('waiting');

    // Edited in this very process (the new code is loaded here too), then deleted: the run needs neither.
    writeToneModule(file, { tone: 'second draft', waitState: 'renamed' });
    const edited = await loadWorkflow(file);
    expect(edited.version.hash).not.toBe(loaded.version.hash);
    expect((await sendToRun({ store, runId: 'waits', event: { type: 'GO' } })).status).toBe('done');
    rmSync(file);
    expect(prompts).toEqual(['first draft ask: q', 'first draft answer: q']);
    expect(versionOf(await store.read('waits'))).toBe(loaded.version.hash);
    // The definition lives in the version, once: the run's own meta file holds none, a read gives it back.
    expect(JSON.parse(readFileSync(join(store.dir, 'waits', 'run.json'), 'utf8')).workflow).not.toHaveProperty('definition');
    expect((await store.read('waits')).workflow.definition).toMatchObject({ id: 'tone' });

    const second = await runWorkflow({ store, workflow: edited.workflow, modulePath: file, version: edited.version, input: { question: 'r' }, runId: 'stopped' });
    expect(second.status).toBe('waiting');
    const resumed = await resumeWorkflow({ store, runId: 'stopped' });
    expect(resumed.status).toBe('waiting'); // restored on its own version (state `renamed`), nothing re-run
    expect(prompts.filter((p) => p.endsWith(': r'))).toEqual(['second draft ask: r']);
  });

  it('loads two versions of one workflow side by side, each once, sharing the process own xstate, zod and harness', async () => {
    const store = new MemoryStore();
    const file = join(dir, 'pair.workflow.mts');
    writeToneModule(file, { tone: 'one' });
    const first = await loadWorkflow(file);
    await storeVersion(store, first);
    writeToneModule(file, { tone: 'two' });
    const second = await loadWorkflow(file);
    await storeVersion(store, second);
    rmSync(file);

    const a = await loadVersion(store, first.version.hash);
    const b = await loadVersion(store, second.version.hash);
    expect(a.workflow).not.toBe(b.workflow);
    expect((await loadVersion(store, first.version.hash)).workflow).toBe(a.workflow); // one copy per version
    expect(a.workflow).toBe(first.workflow); // the file as loaded was that version: the same module
    for (const version of [first.version, second.version]) {
      const mod = await importVersion(version.hash, version.code);
      expect(mod.setup).toBe(setup);
      expect(mod.z).toBe(z);
      expect(mod.defineWorkflow).toBe(defineWorkflow);
    }
  });

  it('refuses, at load and submit, a workflow that reads files next to its module or loads a native addon', async () => {
    const store = new MemoryStore();
    const readsBeside = join(dir, 'beside.workflow.mts');
    writeToneModule(readsBeside, { tone: 'x', prelude: "const here = new URL('./prompts.txt', import.meta.url);\nexport { here };" });
    await expect(loadWorkflow(readsBeside)).rejects.toThrow(/cannot be stored as a version: its code uses import\.meta\.url \(reading files next to the module\)/);
    const addon = join(dir, 'addon.workflow.mts');
    writeFileSync(join(dir, 'fast.node'), 'not really a binary');
    writeToneModule(addon, { tone: 'x', prelude: "import fast from './fast.node';\nexport { fast };" });
    await expect(loadWorkflow(addon)).rejects.toThrow(/fast\.node is a native addon \(\.node\): a stored version cannot carry one/);
    // A workflow given in code with such a module path is refused before any run is created.
    const fine = join(dir, 'fine.workflow.mts');
    writeToneModule(fine, { tone: 'ok' });
    const { workflow } = await loadWorkflow(fine);
    await expect(submitRun({ store, workflow, modulePath: readsBeside, input: { question: 'q' }, runId: 'refused' })).rejects.toThrow(/cannot be stored as a version/);
    expect((await store.list()).runs).toEqual([]);
  });
});
