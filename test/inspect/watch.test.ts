// Noticing run files that change on disk: written atomically (temp file + rename), removed, or in a directory made later.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchRuns, type RunWatcher } from '../../src/inspect/index.ts';

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
});
