// The inspector shows a run's version and whether it is behind its workflow file, and upgrades it on request.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startInspector, type Inspector } from '../../src/inspect/index.ts';
import { loadWorkflow } from '../../src/runtime/load.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { FileStore, versionOf } from '../../src/store/index.ts';
import { call } from '../inspect/http.ts';
import { writeToneModule } from './module.ts';
import { fileFixture } from './recording.ts';

const { dir } = fileFixture('harness-versions-inspect-');
let inspector: Inspector | undefined;
afterAll(async () => {
  await inspector?.close();
});

describe('inspector and versions', () => {
  it('names the version, marks it behind, and its upgrade action moves the run (refusals as the CLI)', async () => {
    const store = new FileStore({ dir: join(dir, 'runs') });
    const file = join(dir, 'shown.workflow.mts');
    writeToneModule(file, { tone: 'first' });
    const loaded = await loadWorkflow(file);
    expect((await runWorkflow({ store, ...loaded, input: { question: 'q' }, runId: 'shown' })).status).toBe('waiting');
    inspector = await startInspector({ store, pollMs: 200 });
    const write = { 'content-type': 'application/json', 'x-harness-token': inspector.token };
    const view = async () => (await call(inspector?.url ?? '', 'GET', '/api/runs/shown')).json() as { version: { hash: string; behind: boolean | null } | null };

    expect((await view()).version).toEqual({ hash: loaded.version.hash, behind: false });
    writeToneModule(file, { tone: 'second' });
    expect((await view()).version).toEqual({ hash: loaded.version.hash, behind: true });

    const refusedWithoutToken = await call(inspector.url, 'POST', '/api/runs/shown/upgrade', { 'content-type': 'application/json' }, '{}');
    expect(refusedWithoutToken.status).toBe(403);
    const upgraded = await call(inspector.url, 'POST', '/api/runs/shown/upgrade', write, '{}');
    expect(upgraded.status).toBe(200);
    expect(upgraded.json()).toMatchObject({ runId: 'shown', from: loaded.version.hash, outcome: 'continued', status: 'continued' });
    const now = versionOf(await store.read('shown'));
    expect(now).not.toBe(loaded.version.hash);
    expect((await view()).version).toEqual({ hash: now, behind: false });

    writeToneModule(file, { tone: 'third', waitState: 'moved' });
    const refused = await call(inspector.url, 'POST', '/api/runs/shown/upgrade', write, '{}');
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'DEFINITION_CHANGED', error: expect.stringContaining("'waiting' no longer exists") });
  });
});
