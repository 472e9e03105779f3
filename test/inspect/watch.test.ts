// Noticing runs that change on disk: run directories (their checkpoint.json) and first-release files, written
// atomically (temp file + rename), removed, or in a directory made later.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchRuns, type RunWatcher } from '../../src/inspect/index.ts';
import { FileStore } from '../../src/store/index.ts';

let watcher: RunWatcher | undefined;
let dir: string | undefined;
afterEach(() => {
  watcher?.close();
  watcher = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Writes the way lowdb/steno does: a temp file beside the target, then a rename over it. */
function writeAtomically(path: string, text: string): void {
  const temp = join(path, '..', `.${path.split('/').at(-1)}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}

describe('watchRuns', () => {
  it('reports a run file when it appears, changes and goes, and ignores other files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'harness-watch-'));
    writeFileSync(join(dir, 'existing.json'), '{}');
    const seen: string[] = [];
    watcher = watchRuns(dir, (runId) => seen.push(runId), { pollMs: 100 });

    writeFileSync(join(dir, 'notes.txt'), 'not a run');
    writeFileSync(join(dir, 'r1.lock'), 'lock');
    writeAtomically(join(dir, 'r1.json'), '{"v":1}');
    await vi.waitFor(() => expect(seen).toContain('r1'));
    expect(seen.every((id) => id === 'r1')).toBe(true);

    const before = seen.length;
    writeAtomically(join(dir, 'r1.json'), '{"v":22}');
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(before));

    const beforeRemoval = seen.length;
    rmSync(join(dir, 'r1.json'));
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(beforeRemoval));
    expect(new Set(seen)).toEqual(new Set(['r1']));
  });

  it('picks up a directory that does not exist yet once it is created', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'harness-watch-late-'));
    dir = parent;
    const runs = join(parent, 'snapshots');
    const seen: string[] = [];
    watcher = watchRuns(runs, (runId) => seen.push(runId), { pollMs: 50 });
    mkdirSync(runs);
    writeAtomically(join(runs, 'late.json'), '{}');
    await vi.waitFor(() => expect(seen).toContain('late'));
  });

  it('reports a run directory by its files: created after the watcher started, rewritten, removed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'harness-watch-dirs-'));
    const seen: string[] = [];
    // A poll far away: fs.watch (recursive, into run directories made later) must give the news by itself.
    watcher = watchRuns(dir, (runId) => seen.push(runId), { pollMs: 60_000 });
    const run = join(dir, 'r2');
    mkdirSync(run);
    writeFileSync(join(run, 'run.json'), '{}');
    writeFileSync(join(run, 'lock'), '{}');
    writeAtomically(join(run, 'checkpoint.json'), '{"status":"running"}');
    await vi.waitFor(() => expect(seen).toContain('r2'));

    const before = seen.length;
    writeAtomically(join(run, 'checkpoint.json'), '{"status":"waiting"}');
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(before));

    // Journal and timeline appends come with a checkpoint of their own; alone they are not news.
    const quiet = seen.length;
    writeFileSync(join(run, 'journal.ndjson'), '{}\n', { flag: 'a' });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.length).toBe(quiet);

    rmSync(run, { recursive: true });
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(quiet));
    expect(new Set(seen)).toEqual(new Set(['r2']));
  });

  it('notices the commits of a run written through the FileStore', async () => {
    dir = mkdtempSync(join(tmpdir(), 'harness-watch-store-'));
    const store = new FileStore({ dir });
    const seen: string[] = [];
    watcher = watchRuns(dir, (runId) => seen.push(runId), { pollMs: 100 });
    const session = await store.create({ runId: 'r3', workflow: { id: 'wf', module: '/wf.ts', moduleRelative: 'wf.ts', hash: 'h', definition: {} }, input: {}, budget: {}, seed: 1, createdAt: new Date().toISOString() });
    await vi.waitFor(() => expect(seen).toContain('r3'));
    const before = seen.length;
    // A running run's commit is a history line alone: that is news too.
    await session.commit({ status: 'running', snapshot: null, flags: [], usage: { tokensIn: 0, tokensOut: 0, calls: 0 }, activeMs: 1, wakeAt: null });
    await session.close();
    await vi.waitFor(() => expect(seen.length).toBeGreaterThan(before));
    expect(new Set(seen)).toEqual(new Set(['r3']));
  });
});
