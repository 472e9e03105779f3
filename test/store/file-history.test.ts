// The file store's history.ndjson: one appended line per commit, the checkpoint's size, torn tails ignored and cut.
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/index.ts';
import { runPaths } from '../../src/store/run-files.ts';
import { checkpoint, entry, meta, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('FileStore history', () => {
  it('grows by about one checkpoint per commit, however long the run and its journal', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'flat');
    const session = await files.create(meta('flat'));
    const growth: number[] = [];
    const checkpointSizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      for (let k = 0; k < 3; k++) await session.append(entry(`k${i}.${k}`)); // the journal grows all along
      const before = statSync(paths.history).size;
      await session.commit(checkpoint({ activeMs: 1000 + i, snapshot: { status: 'active', value: 'step', context: { i: 1000 + i } } }));
      growth.push(statSync(paths.history).size - before);
      checkpointSizes.push(statSync(paths.checkpoint).size);
    }
    await session.close();
    // Each line is the checkpoint (as checkpoint.json holds it, less epoch and updatedAt) plus seq, time and count.
    for (const [i, grown] of growth.entries()) {
      const size = checkpointSizes[i] ?? 0;
      expect(grown).toBeGreaterThan(size * 0.8);
      expect(grown).toBeLessThan(size + 120);
    }
    expect(Math.max(...growth) - Math.min(...growth)).toBeLessThan(16); // only the digits of seq and counts differ
    expect(statSync(paths.history).size).toBeLessThan(300 * (Math.max(...checkpointSizes) + 120));
    expect((await files.history('flat')).map((h) => h.journalCount).slice(-2)).toEqual([897, 900]);
  });

  it('ignores a torn last line, cuts it off at open, and numbers on from the last whole line', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'torn');
    const session = await files.create(meta('torn'));
    await session.commit(checkpoint({ activeMs: 1 }));
    await session.commit(checkpoint({ activeMs: 2 }));
    await session.close();
    const whole = readFileSync(paths.history, 'utf8');
    appendFileSync(paths.history, '{"seq":3,"at":"2026-11-29T10:00:00.000Z","journalCount":0,"checkpoint":{"sta');
    expect((await files.history('torn')).map((h) => h.seq)).toEqual([1, 2]);
    await expect(files.checkpointAt('torn', 3)).rejects.toThrow(/no checkpoint 3/);

    const next = await files.open('torn');
    expect(readFileSync(paths.history, 'utf8')).toBe(whole);
    await next.commit(checkpoint({ activeMs: 3 }));
    await next.close();
    expect((await files.history('torn')).map((h) => h.seq)).toEqual([1, 2, 3]);
    expect((await files.checkpointAt('torn', 3)).checkpoint.activeMs).toBe(3);
  });

  it('reads the history of a first-release run as empty', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'old');
    const record = { format: 1, ...meta('old'), status: 'waiting', snapshot: null, journal: [], timeline: [], flags: [], epoch: 1, usage: { tokensIn: 0, tokensOut: 0, calls: 0 }, activeMs: 0, updatedAt: '2026-11-29T10:05:00.000Z' };
    appendFileSync(paths.v1, JSON.stringify(record));
    expect(await files.history('old')).toEqual([]);
  });
});
