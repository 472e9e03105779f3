// What the runtime refuses, and how: changed definitions, locked or corrupt runs, bad ids and input, finished runs.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { definitionHash } from '../../src/runtime/definition.ts';
import { DefinitionChangedError, InputError, RunFinishedError } from '../../src/runtime/errors.ts';
import { cancelRun, resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { defineWorkflow, type PersistedSnapshot } from '../../src/steps/index.ts';
import { CorruptRunError, FileStore, InvalidRunIdError, RunLockedError, RunNotFoundError } from '../../src/store/index.ts';
import { processPlace } from '../../src/store/lock.ts';
import type { Simulator } from '../../src/testing/index.ts';
import { modulePath, oneStepWorkflow, removeTempDirs, small, tempDir, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
let sim: Simulator;
beforeEach(async () => {
  sim = await simulator({ script: { '*': () => validReply() } });
});
afterAll(removeTempDirs);

const lockPath = (store: FileStore, runId: string) => join(store.dir, runId, 'lock');
/** The bytes of a run's checkpoint file: a refusal must leave them exactly as they were. */
const checkpointBytes = (store: FileStore, runId: string) => readFileSync(join(store.dir, runId, 'checkpoint.json'), 'utf8');

const approvalWorkflow = () => oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } }, { approval: true });

async function waitingRun(store: FileStore) {
  const workflow = approvalWorkflow();
  const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' } });
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
    const before = checkpointBytes(store, runId);
    const refused = resumeWorkflow({ store, runId, workflow: changed });
    await expect(refused).rejects.toBeInstanceOf(DefinitionChangedError);
    await expect(refused).rejects.toThrow(new RegExp(`definition ${hash}, now ${now}`));
    await expect(refused).rejects.toMatchObject({ code: 'DEFINITION_CHANGED' });
    expect(checkpointBytes(store, runId)).toBe(before); // not even the epoch moved
    expect(existsSync(lockPath(store, runId))).toBe(false);
    // The original definition is still accepted.
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' } });
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
    const resumed = await resumeWorkflow({ store, runId, workflow: migrating });
    expect(calls).toEqual([{ fromHash: hash, value: 'approval' }]);
    expect(resumed.status).toBe('waiting');
    expect(resumed.workflow.hash).toBe(definitionHash(base.machine));
    const done = await sendToRun({ store, runId, workflow: base, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
  });
});

describe('locks', () => {
  it('refuses a run another driver holds, and takes it once released', async () => {
    const store = tempStore();
    const { workflow, runId } = await waitingRun(store);
    const held = await store.open(runId);
    const refused = resumeWorkflow({ store, runId, workflow });
    await expect(refused).rejects.toBeInstanceOf(RunLockedError);
    await expect(refused).rejects.toThrow(new RegExp(`process ${process.pid} on `));
    await held.close();
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
  });

  it('takes over the lock of a dead process in this PID namespace, and refuses the lock of a live one', async () => {
    const store = tempStore();
    const { workflow, runId } = await waitingRun(store);
    // Where this process runs (boot and PID namespace), as a lock of this release records it: only then is a pid trusted.
    const lockOf = (pid: number, place: object | null = processPlace()) =>
      JSON.stringify({ pid, hostname: hostname(), acquiredAt: new Date().toISOString(), ...place });

    writeFileSync(lockPath(store, runId), lockOf(process.ppid)); // alive, and not us
    await expect(resumeWorkflow({ store, runId, workflow })).rejects.toBeInstanceOf(RunLockedError);

    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    // A lock that does not say where its holder runs proves nothing by its pid: its lease decides (30 s by default).
    writeFileSync(lockPath(store, runId), lockOf(dead as number, null));
    await expect(resumeWorkflow({ store, runId, workflow })).rejects.toBeInstanceOf(RunLockedError);
    writeFileSync(lockPath(store, runId), lockOf(dead as number));
    const done = await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' } });
    expect(done.status).toBe('done');
    expect(existsSync(lockPath(store, runId))).toBe(false);
    expect(readdirSync(join(store.dir, runId)).filter((f) => f.includes('lock'))).toEqual([]);
  });
});

describe('corrupt run files', () => {
  it.each([
    ['a first-release file with invalid JSON', 'broken.json', '{"runId": "broken", '],
    ['a first-release file that is not a run record', 'broken.json', JSON.stringify({ runId: 'broken', status: 'done' })],
    ['a run directory whose meta is not JSON', join('broken', 'run.json'), '{"runId": '],
  ])('reports %s as CorruptRunError and leaves the bytes alone', async (_what, file, text) => {
    const store = tempStore();
    const path = join(store.dir, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    const listing = () => readdirSync(store.dir, { recursive: true }).map(String).sort();
    const files = listing();
    await expect(store.read('broken')).rejects.toBeInstanceOf(CorruptRunError);
    const workflow = approvalWorkflow();
    await expect(resumeWorkflow({ store, runId: 'broken', workflow })).rejects.toBeInstanceOf(CorruptRunError);
    await expect(sendToRun({ store, runId: 'broken', workflow, event: { type: 'APPROVE' } })).rejects.toBeInstanceOf(CorruptRunError);
    await expect(store.open('broken')).rejects.toBeInstanceOf(CorruptRunError);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(listing()).toEqual(files);
  });

  it('refuses a run directory copied under another name', async () => {
    const store = tempStore();
    const { runId } = await waitingRun(store);
    const copy = join(store.dir, 'copied');
    mkdirSync(copy);
    for (const file of readdirSync(join(store.dir, runId))) writeFileSync(join(copy, file), readFileSync(join(store.dir, runId, file)));
    await expect(store.read('copied')).rejects.toBeInstanceOf(CorruptRunError);
    await expect(resumeWorkflow({ store, runId: 'copied', workflow: approvalWorkflow() })).rejects.toThrow(new RegExp(runId));
  });
});

describe('run ids, input and finished runs', () => {
  it.each(['../x', 'a/b', '', 'a'.repeat(65), 'a b', '..', 'x\\y'])('refuses the run id %j and creates no file', async (runId) => {
    const store = tempStore();
    const workflow = approvalWorkflow();
    const refused = runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, runId });
    await expect(refused).rejects.toBeInstanceOf(InvalidRunIdError);
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_RUN_ID' });
    await expect(resumeWorkflow({ store, runId, workflow })).rejects.toBeInstanceOf(InvalidRunIdError);
    await expect(store.read(runId)).rejects.toBeInstanceOf(InvalidRunIdError);
    expect(readdirSync(store.dir)).toEqual([]);
    expect(sim.stats().requests).toBe(0);
  });

  it('accepts a 64-character run id', async () => {
    const store = tempStore();
    const runId = 'a'.repeat(64);
    const record = await runWorkflow({ store, workflow: approvalWorkflow(), modulePath, input: { question: 'q' }, runId });
    expect(record.runId).toBe(runId);
    expect((await store.read(runId)).status).toBe('waiting');
  });

  it('refuses input that fails the schema, before any file or call', async () => {
    const store = tempStore();
    const refused = runWorkflow({ store, workflow: approvalWorkflow(), modulePath, input: { question: '' } });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(/question/);
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(readdirSync(store.dir)).toEqual([]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses to resume a finished or cancelled run, and a run that does not exist', async () => {
    const store = tempStore();
    const workflow = approvalWorkflow();
    const { runId } = await waitingRun(store);
    await sendToRun({ store, runId, workflow, event: { type: 'APPROVE' } });
    const finished = checkpointBytes(store, runId);
    await expect(resumeWorkflow({ store, runId, workflow })).rejects.toBeInstanceOf(RunFinishedError);
    await expect(sendToRun({ store, runId, workflow, event: { type: 'APPROVE' } })).rejects.toBeInstanceOf(RunFinishedError);
    expect(checkpointBytes(store, runId)).toBe(finished);

    const other = await waitingRun(store);
    const cancelled = await cancelRun(store, other.runId);
    expect(cancelled.status).toBe('cancelled');
    expect((await store.read(other.runId)).status).toBe('cancelled');
    await expect(resumeWorkflow({ store, runId: other.runId, workflow })).rejects.toBeInstanceOf(RunFinishedError);
    await expect(cancelRun(store, other.runId)).rejects.toBeInstanceOf(RunFinishedError);

    await expect(resumeWorkflow({ store, runId: 'never-ran', workflow })).rejects.toBeInstanceOf(RunNotFoundError);
  });
});

describe('durable writes', () => {
  it('writes a readable record with fsync on, leaving no temp file behind', async () => {
    const store = new FileStore({ dir: tempDir(), fsync: true });
    const workflow = approvalWorkflow();
    const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' } });
    const onDisk = await store.read(record.runId);
    expect(onDisk.status).toBe('waiting');
    expect(onDisk.journal).toHaveLength(1);
    const done = await sendToRun({ store, runId: record.runId, workflow, event: { type: 'APPROVE' } });
    expect((await store.read(record.runId)).status).toBe(done.status);
    expect(readdirSync(store.dir)).toEqual([record.runId]);
    expect(readdirSync(join(store.dir, record.runId)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
