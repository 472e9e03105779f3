// What the runtime refuses, and how: changed definitions, locked or corrupt runs, bad ids and input, finished runs.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { definitionHash } from '../../src/runtime/definition.ts';
import { DefinitionChangedError, InputError, RunFinishedError } from '../../src/runtime/errors.ts';
import { cancelRun, resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { defineWorkflow, type PersistedSnapshot } from '../../src/steps/index.ts';
import { CorruptRunError, FileStore, InvalidRunIdError, RunLockedError, RunNotFoundError } from '../../src/store/index.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { modulePath, oneStepWorkflow, removeTempDirs, small, tempDir, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
let sim: Simulator;
beforeEach(async () => {
  sim = await simulator({ script: { '*': () => validReply() } });
});
afterAll(removeTempDirs);

const approvalWorkflow = () => oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } }, { approval: true });

async function waitingRun(store: FileStore) {
  const workflow = approvalWorkflow();
  const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, pool: null });
  expect(record.status).toBe('waiting');
  return { workflow, runId: record.runId, hash: record.workflow.hash };
}

describe('changed definition', () => {
  it('refuses to resume with a different machine, naming both hashes, and leaves the run as it was', async () => {
    const store = tempStore();
    const { workflow, runId, hash } = await waitingRun(store);
    const changed = oneStepWorkflow({ ladder: [small], config: { host: sim.url, timeoutMs: 2000 } }, { approval: true });
    const now = definitionHash(changed.machine);
    expect(now).not.toBe(hash);
    const refused = resumeWorkflow({ store, runId, workflow: changed, pool: null });
    await expect(refused).rejects.toBeInstanceOf(DefinitionChangedError);
    await expect(refused).rejects.toThrow(new RegExp(`definition ${hash}, now ${now}`));
    await expect(refused).rejects.toMatchObject({ exitCode: 3 });
    expect(store.read(runId).status).toBe('waiting');
    expect(existsSync(store.lockPathOf(runId))).toBe(false);
    // The original definition is still accepted.
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' }, pool: null });
    expect(done.status).toBe('done');
  });

  it('accepts the new machine when the workflow migrates snapshots', async () => {
    const store = tempStore();
    const { runId, hash } = await waitingRun(store);
    const calls: { fromHash: string; value: unknown }[] = [];
    const base = oneStepWorkflow({ ladder: [small], config: { host: sim.url, timeoutMs: 2000 } }, { approval: true });
    const migrating = defineWorkflow({
      ...base,
      migrate: (snapshot: PersistedSnapshot, fromHash: string) => {
        calls.push({ fromHash, value: snapshot.value });
        return snapshot;
      },
    });
    const resumed = await resumeWorkflow({ store, runId, workflow: migrating, pool: null });
    expect(calls).toEqual([{ fromHash: hash, value: 'approval' }]);
    expect(resumed.status).toBe('waiting');
    expect(resumed.workflow.hash).toBe(definitionHash(base.machine));
    const done = await sendToRun({ store, runId, workflow: base, event: { type: 'APPROVE' }, pool: null });
    expect(done.status).toBe('done');
  });
});

describe('locks', () => {
  it('refuses a run another driver holds, and takes it once released', async () => {
    const store = tempStore();
    const { workflow, runId } = await waitingRun(store);
    const held = await store.open(runId);
    const refused = resumeWorkflow({ store, runId, workflow, pool: null });
    await expect(refused).rejects.toBeInstanceOf(RunLockedError);
    await expect(refused).rejects.toThrow(new RegExp(`process ${process.pid} on `));
    await held.close();
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' }, pool: null });
    expect(done.status).toBe('done');
  });

  it('takes over the lock of a dead process on this host, and refuses the lock of a live one', async () => {
    const store = tempStore();
    const { workflow, runId } = await waitingRun(store);
    const lockOf = (pid: number) => JSON.stringify({ pid, hostname: hostname(), acquiredAt: new Date().toISOString() });

    writeFileSync(store.lockPathOf(runId), lockOf(process.ppid)); // alive, and not us
    await expect(resumeWorkflow({ store, runId, workflow, pool: null })).rejects.toBeInstanceOf(RunLockedError);

    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    writeFileSync(store.lockPathOf(runId), lockOf(dead as number));
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' }, pool: null });
    expect(done.status).toBe('done');
    expect(existsSync(store.lockPathOf(runId))).toBe(false);
    expect(readdirSync(store.dir).filter((f) => f.includes('.lock'))).toEqual([]);
  });
});

describe('corrupt run files', () => {
  it.each([
    ['invalid JSON', '{"runId": "broken", '],
    ['JSON that is not a run record', JSON.stringify({ runId: 'broken', status: 'done' })],
  ])('reports %s as CorruptRunError and leaves the bytes alone', async (_what, text) => {
    const store = tempStore();
    const path = store.pathOf('broken');
    writeFileSync(path, text);
    expect(() => store.read('broken')).toThrow(CorruptRunError);
    const workflow = approvalWorkflow();
    await expect(resumeWorkflow({ store, runId: 'broken', workflow, pool: null })).rejects.toBeInstanceOf(CorruptRunError);
    await expect(sendToRun({ store, runId: 'broken', workflow, event: { type: 'APPROVE' }, pool: null })).rejects.toBeInstanceOf(CorruptRunError);
    await expect(store.open('broken')).rejects.toBeInstanceOf(CorruptRunError);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(readdirSync(store.dir)).toEqual(['broken.json']);
  });
});

describe('run ids, input and finished runs', () => {
  it.each(['../x', 'a/b', '', 'a'.repeat(65), 'a b', '..', 'x\\y'])('refuses the run id %j and creates no file', async (runId) => {
    const store = tempStore();
    const workflow = approvalWorkflow();
    const refused = runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, runId, pool: null });
    await expect(refused).rejects.toBeInstanceOf(InvalidRunIdError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    await expect(resumeWorkflow({ store, runId, workflow, pool: null })).rejects.toBeInstanceOf(InvalidRunIdError);
    expect(() => store.read(runId)).toThrow(InvalidRunIdError);
    expect(readdirSync(store.dir)).toEqual([]);
    expect(sim.stats().requests).toBe(0);
  });

  it('accepts a 64-character run id', async () => {
    const store = tempStore();
    const runId = 'a'.repeat(64);
    const record = await runWorkflow({ store, workflow: approvalWorkflow(), modulePath, input: { question: 'q' }, runId, pool: null });
    expect(record.runId).toBe(runId);
    expect(store.read(runId).status).toBe('waiting');
  });

  it('refuses input that fails the schema, before any file or call', async () => {
    const store = tempStore();
    const refused = runWorkflow({ store, workflow: approvalWorkflow(), modulePath, input: { question: '' }, pool: null });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(/question/);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    expect(readdirSync(store.dir)).toEqual([]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses to resume a finished or cancelled run, and a run that does not exist', async () => {
    const store = tempStore();
    const workflow = approvalWorkflow();
    const { runId } = await waitingRun(store);
    await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' }, pool: null });
    await expect(resumeWorkflow({ store, runId, workflow, pool: null })).rejects.toBeInstanceOf(RunFinishedError);

    const other = await waitingRun(store);
    const cancelled = await cancelRun(store, other.runId);
    expect(cancelled.status).toBe('cancelled');
    expect(store.read(other.runId).status).toBe('cancelled');
    await expect(resumeWorkflow({ store, runId: other.runId, workflow, pool: null })).rejects.toBeInstanceOf(RunFinishedError);
    await expect(cancelRun(store, other.runId)).rejects.toBeInstanceOf(RunFinishedError);

    await expect(resumeWorkflow({ store, runId: 'never-ran', workflow, pool: null })).rejects.toBeInstanceOf(RunNotFoundError);
  });
});

describe('durable writes', () => {
  it('writes a readable record with fsync on, leaving no temp file behind', async () => {
    const store = new FileStore({ dir: tempDir(), fsync: true });
    const workflow = approvalWorkflow();
    const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, pool: null });
    const onDisk = store.read(record.runId);
    expect(onDisk.status).toBe('waiting');
    expect(onDisk.journal).toHaveLength(1);
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' }, pool: null });
    expect(store.read(record.runId).status).toBe(done.status);
    expect(readdirSync(store.dir)).toEqual([`${record.runId}.json`]);
  });
});
