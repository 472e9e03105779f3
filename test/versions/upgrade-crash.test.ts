// SIGKILL during `upgrade`: whatever point it dies at, the run ends on exactly one version and no call is paid twice.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/runtime/load.ts';
import { resumeWorkflow, runWorkflow, sendToRun } from '../../src/runtime/runs.ts';
import { FileStore, versionOf } from '../../src/store/index.ts';
import { repoRoot } from '../cli/harness.ts';
import { writeToneModule } from './module.ts';
import { fileFixture } from './recording.ts';

const child = fileURLToPath(new URL('./upgrade-child.ts', import.meta.url));
const { dir, prompts } = fileFixture('harness-upgrade-crash-');
afterEach(() => {
  prompts.length = 0;
});

/** Runs the dying upgrade; resolves with how it ended. */
function killedUpgrade(runs: string, runId: string, at: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, runs, runId, at], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

describe('a crash during upgrade', { timeout: 120_000 }, () => {
  it.each(['stored', 'committed', 'meta'])('killed after the %s step: the run ends on exactly one version, nothing paid twice', async (at) => {
    const runs = join(dir, `runs-${at}`);
    const store = new FileStore({ dir: runs, lockStaleMs: 1_000 });
    const file = join(dir, `crash-${at}.workflow.mts`);
    writeToneModule(file, { tone: 'before' });
    const loaded = await loadWorkflow(file);
    expect((await runWorkflow({ store, ...loaded, input: { question: 'q' }, runId: 'r' })).status).toBe('waiting');
    writeToneModule(file, { tone: 'after', waitState: 'review', migrate: "(snapshot) => ({ ...snapshot, value: snapshot.value === 'waiting' ? 'review' : snapshot.value })" });

    const killed = await killedUpgrade(runs, 'r', at);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    // Whatever was written, the run restores on the version its latest checkpoint names, and that version's states.
    const resumed = await resumeWorkflow({ store, runId: 'r' }); // takes over the dead process's lock
    expect(resumed.status).toBe('waiting');
    const version = versionOf(resumed);
    if (at === 'stored') expect(version).toBe(loaded.version.hash); // nothing committed: still the old version
    else expect(version).not.toBe(loaded.version.hash); // the commit happened: the upgrade holds
    expect(resumed.workflow.version).toBe(version); // the meta agrees, repaired if the kill came before it was written
    expect(resumed.snapshot?.['value']).toBe(version === loaded.version.hash ? 'waiting' : 'review');
    const done = await sendToRun({ store, runId: 'r', event: { type: 'GO' } });
    expect(done.status).toBe('done');
    const tone = version === loaded.version.hash ? 'before' : 'after';
    expect(prompts).toEqual(['before ask: q', `${tone} answer: q`]); // each call made once
    const history = await store.history('r');
    const after = history.slice(history.findIndex((h) => h.version === version));
    expect(after.every((h) => h.version === version)).toBe(true); // once moved, it never goes back
    expect(versionOf(done)).toBe(version);
  });
});
