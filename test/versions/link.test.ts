// Linked version files in the temp directory: kept while some process loads them, removed once none has for a month.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepLinked } from '../../src/versions/link.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('sweepLinked', () => {
  it('removes linked files untouched for over 30 days and temp files over an hour old, and keeps the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-linked-'));
    dirs.push(dir);
    const now = Date.now();
    const day = 24 * 3600_000;
    const files: Record<string, number> = {
      'old.mjs': now - 31 * day,
      'recent.mjs': now - 29 * day,
      'stale.mjs.1.abc.tmp': now - 2 * 3600_000,
      'fresh.mjs.2.def.tmp': now - 60_000,
      'notes.txt': now - 400 * day, // not ours: never removed
    };
    for (const [name, at] of Object.entries(files)) {
      writeFileSync(join(dir, name), 'export default 1;\n');
      utimesSync(join(dir, name), new Date(at), new Date(at));
    }
    expect(await sweepLinked(dir, now)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['fresh.mjs.2.def.tmp', 'notes.txt', 'recent.mjs']);
  });

  it('does nothing where the directory does not exist yet', async () => {
    expect(await sweepLinked(join(tmpdir(), 'harness-linked-never-made', 'x'))).toBe(0);
  });
});
