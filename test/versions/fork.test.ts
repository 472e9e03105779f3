// Forks honour versions: a checkpoint forks onto the code it was written under, a migrated run's early checkpoints too.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forkRun } from '../../src/runtime/fork.ts';
import { loadWorkflow } from '../../src/runtime/load.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { upgradeRun } from '../../src/runtime/upgrade.ts';
import { FileStore, versionOf } from '../../src/store/index.ts';
import { fileFixture } from './recording.ts';
import { writeToneModule } from './module.ts';

const { dir, prompts, url } = fileFixture('harness-versions-fork-');

describe('fork and versions', () => {
  it('forks a migrated run: a checkpoint from before the upgrade restores on its old version, a later one on the new', async () => {
    const store = new FileStore({ dir: join(dir, 'runs') });
    const file = join(dir, 'migrating.workflow.mts');
    writeToneModule(file, { tone: 'v1' });
    const v1 = await loadWorkflow(file);
    expect((await runWorkflow({ store, ...v1, input: { question: 'q' }, runId: 'src' })).status).toBe('waiting');
    writeToneModule(file, { tone: 'v2', waitState: 'review', migrate: "(snapshot) => ({ ...snapshot, value: snapshot.value === 'waiting' ? 'review' : snapshot.value })" });
    const upgraded = await upgradeRun({ store, runId: 'src' });
    expect(upgraded.outcome).toBe('migrated');
    expect((await sendToRun({ store, runId: 'src', event: { type: 'GO' } })).status).toBe('done');

    const history = await store.history('src');
    const before = history.find((h) => h.value === 'waiting');
    const after = history.find((h) => h.value === 'review');
    expect(before?.version).toBe(v1.version.hash);
    expect(after?.version).toBe(upgraded.to);

    prompts.length = 0;
    const old = await forkRun({ store, runId: 'src', at: before?.seq ?? 0, newRunId: 'fork-old' });
    expect(old.status).toBe('waiting');
    expect(versionOf(old)).toBe(v1.version.hash);
    expect(old.snapshot?.['value']).toBe('waiting'); // the old structure, on the old code: no "state does not exist"
    expect((await sendToRun({ store, runId: 'fork-old', event: { type: 'GO' } })).status).toBe('done');
    const fresh = await forkRun({ store, runId: 'src', at: after?.seq ?? 0, newRunId: 'fork-new' });
    expect(versionOf(fresh)).toBe(upgraded.to);
    expect((await sendToRun({ store, runId: 'fork-new', event: { type: 'GO' } })).status).toBe('done');
    expect(prompts).toEqual(['v1 answer: q', 'v2 answer: q']); // each fork on its checkpoint's code, nothing re-asked
  });

  it('a new input restarts from the start state, on the checkpoint version, with the new input', async () => {
    const store = new FileStore({ dir: join(dir, 'input-runs') });
    const file = join(dir, 'input.workflow.mts');
    writeToneModule(file, { tone: 'kept' });
    const loaded = await loadWorkflow(file);
    expect((await runWorkflow({ store, ...loaded, input: { question: 'first' }, runId: 'src' })).status).toBe('waiting');
    writeToneModule(file, { tone: 'edited' }); // the file moved on: the fork still runs the checkpoint's code
    const waitingAt = (await store.history('src')).find((h) => h.value === 'waiting');
    prompts.length = 0;
    const forked = await forkRun({ store, runId: 'src', at: waitingAt?.seq ?? 0, newRunId: 'other-input', input: { question: 'second' } });
    expect(forked.status).toBe('waiting');
    expect(forked.input).toEqual({ question: 'second' });
    expect(forked.snapshot?.['context']).toMatchObject({ question: 'second' });
    expect(prompts).toEqual(['kept ask: second']);
  });
});
