// Upgrades are explicit: same structure continues, a changed one goes through migrate() or is refused by name.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/runtime/load.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { upgradeRun } from '../../src/runtime/upgrade.ts';
import { FileStore, versionOf } from '../../src/store/index.ts';
import { inProcess, type Env } from '../cli/harness.ts';
import { fileFixture } from './recording.ts';
import { writeToneModule, type ModuleShape } from './module.ts';

const { dir, prompts, url } = fileFixture('harness-upgrade-');
afterEach(() => {
  prompts.length = 0;
});

let count = 0;
/** A run of a fresh module, left waiting for GO; `edit` rewrites the module afterwards. */
async function waitingRun(first: ModuleShape) {
  count += 1;
  const store = new FileStore({ dir: join(dir, `runs-${count}`) });
  const file = join(dir, `flow-${count}.workflow.mts`);
  writeToneModule(file, first);
  const loaded = await loadWorkflow(file);
  const runId = `run-${count}`;
  const record = await runWorkflow({ store, ...loaded, input: { question: 'q' }, runId });
  expect(record.status).toBe('waiting');
  return { store, file, runId, from: loaded.version.hash, edit: (shape: ModuleShape) => writeToneModule(file, shape) };
}

describe('upgradeRun', () => {
  it('same structure: the run goes on from where it is, on the new code; its history keeps both versions', async () => {
    const run = await waitingRun({ tone: 'old' });
    run.edit({ tone: 'new' });
    const report = await upgradeRun({ store: run.store, runId: run.runId });
    expect(report).toMatchObject({ runId: run.runId, from: run.from, outcome: 'continued' });
    expect(report.to).not.toBe(run.from);
    expect(await upgradeRun({ store: run.store, runId: run.runId })).toMatchObject({ outcome: 'current', to: report.to });
    const done = await sendToRun({ store: run.store, runId: run.runId, event: { type: 'GO' } });
    expect(done.status).toBe('done');
    expect(prompts).toEqual(['old ask: q', 'new answer: q']); // nothing re-run, the rest on the new prompt
    expect(versionOf(done)).toBe(report.to);
    const versions = [...new Set((await run.store.history(run.runId)).map((h) => h.version))];
    expect(versions).toEqual([run.from, report.to]);
  });

  it('changed structure with a migrate() hook: the snapshot is moved into the new states, then the run goes on', async () => {
    const run = await waitingRun({ tone: 'v1' });
    run.edit({ tone: 'v2', waitState: 'review', migrate: "(snapshot) => ({ ...snapshot, value: snapshot.value === 'waiting' ? 'review' : snapshot.value })" });
    const report = await upgradeRun({ store: run.store, runId: run.runId });
    expect(report.outcome).toBe('migrated');
    const record = await run.store.read(run.runId);
    expect(record.snapshot?.['value']).toBe('review');
    expect(record.workflow.definition).toMatchObject({ states: { review: expect.anything() } });
    const done = await sendToRun({ store: run.store, runId: run.runId, event: { type: 'GO' } });
    expect(done.status).toBe('done');
    expect(prompts).toEqual(['v1 ask: q', 'v2 answer: q']);
  });

  it('changed structure without migrate(): refused, naming the state that no longer exists; the run is left as it was', async () => {
    const run = await waitingRun({ tone: 'v1' });
    const before = await run.store.read(run.runId);
    run.edit({ tone: 'v2', waitState: 'review' });
    await expect(upgradeRun({ store: run.store, runId: run.runId })).rejects.toMatchObject({
      code: 'DEFINITION_CHANGED',
      message: expect.stringMatching(/cannot be upgraded: 'waiting' no longer exists in workflow tone \(give the workflow a migrate\(\) that moves such runs\)/),
    });
    const after = await run.store.read(run.runId);
    expect(versionOf(after)).toBe(run.from);
    expect(after.snapshot).toEqual(before.snapshot);
    // Still on its own code, it finishes there.
    expect((await sendToRun({ store: run.store, runId: run.runId, event: { type: 'GO' } })).status).toBe('done');
    expect(prompts).toEqual(['v1 ask: q', 'v1 answer: q']);
  });
});

describe('harness upgrade, ls and show', () => {
  it('shows runs behind their file, upgrades several by id or every one behind, and refuses with exit 3', async () => {
    const a = await waitingRun({ tone: 'a1' });
    const env: Env = { ollamaHost: url(), snapshots: a.store.dir };
    // A second run of the same file in the same directory, and one whose edit changes the structure.
    const b = await runWorkflow({ store: a.store, ...(await loadWorkflow(a.file)), input: { question: 'b' }, runId: 'b-run' });
    expect(b.status).toBe('waiting');
    const short = a.from.slice(0, 12);
    expect((await inProcess(['ls'], env)).stdout).toMatch(new RegExp(`^${a.runId} .* ${short}$`, 'm'));
    a.edit({ tone: 'a2' });
    const ls = await inProcess(['ls'], env);
    expect(ls.stdout).toMatch(new RegExp(`^${a.runId} .* ${short} behind`, 'm'));
    expect(ls.stdout).toMatch(new RegExp(`^b-run .* ${short} behind`, 'm'));
    expect((await inProcess(['show', a.runId], env)).stdout).toMatch(new RegExp(`^version +${short}  behind its workflow file \\(harness upgrade ${a.runId}\\)$`, 'm'));

    const byId = await inProcess(['upgrade', a.runId, 'b-run'], env);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stdout).toMatch(new RegExp(`^upgraded ${a.runId} ${short} -> [0-9a-f]{12} \\(same structure\\)$`, 'm'));
    expect(byId.stdout).toMatch(new RegExp(`^upgraded b-run ${short} -> [0-9a-f]{12} \\(same structure\\)$`, 'm'));
    expect((await inProcess(['show', a.runId], env)).stdout).toMatch(/^version +[0-9a-f]{12}  current$/m);
    expect((await inProcess(['upgrade', '--all-behind'], env)).stdout).toBe('no run is behind its workflow file\n');

    a.edit({ tone: 'a3', waitState: 'elsewhere' });
    const refused = await inProcess(['upgrade', '--all-behind'], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`^refused ${a.runId}: run ${a.runId} cannot be upgraded: 'waiting' no longer exists`, 'm'));
    expect(refused.stderr).toMatch(/^refused b-run: /m);
    const usage = await inProcess(['upgrade'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/upgrade needs run ids, or --all-behind/);
    expect((await inProcess(['upgrade', 'nobody'], env)).code).toBe(2);
  });
});
