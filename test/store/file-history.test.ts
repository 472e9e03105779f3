// The file store's history.ndjson: one appended line per commit, the size of its change, torn tails ignored and cut.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRunError, FileStore, type Checkpoint } from '../../src/store/index.ts';
import { runPaths } from '../../src/store/run-files.ts';
import { checkpoint, entry, meta, removeTempDirs, tempDir } from './helpers.ts';

afterAll(removeTempDirs);

describe('FileStore history', () => {
  it('grows by the size of each change, however long the run, its journal and its context', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'grows');
    const session = await files.create(meta('grows'));
    const item = (i: number) => ({ i, text: `${i}`.padEnd(1000, '.') });
    const committed: Checkpoint[] = [];
    const growth: number[] = [];
    let items: { i: number; text: string }[] = [];
    for (let i = 0; i < 300; i++) {
      for (let k = 0; k < 3; k++) await session.append(entry(`k${i}.${k}`)); // the journal grows all along
      items = [...items, item(i)]; // a context that keeps every result, as an agent's transcript does
      const next = checkpoint({ activeMs: 1000 + i, snapshot: { status: 'active', value: 'step', context: { i, items } } });
      committed.push(structuredClone(next));
      const before = existsSync(paths.history) ? statSync(paths.history).size : 0;
      await session.commit(next);
      growth.push(statSync(paths.history).size - before);
    }
    await session.close();
    const lines = readFileSync(paths.history, 'utf8').trim().split('\n');
    const whole = lines.filter((line) => line.includes('"checkpoint":')).length;
    // A whole checkpoint first, then again each time the changes since add up to more than it: a few, not one per commit.
    expect(whole).toBeGreaterThanOrEqual(3);
    expect(whole).toBeLessThan(15);
    const changes = growth.filter((_, i) => !lines[i]?.includes('"checkpoint":'));
    for (const grown of changes) expect(grown).toBeLessThan(1000 + 300); // one item and the commit's own fields
    // A whole checkpoint is written once the changes since the last one outweigh it, so each is about twice the one
    // before: all of them together weigh about twice the last, itself at most the first plus every change since.
    const changed = changes.reduce((sum, grown) => sum + grown, 0);
    expect(statSync(paths.history).size).toBeLessThan(3.3 * changed + 3 * (growth[0] ?? 0));
    // Read back exactly, key order included, from anywhere in the chain.
    for (const seq of [1, 2, 150, 299, 300]) {
      const kept = await files.checkpointAt('grows', seq);
      expect(JSON.stringify(kept.checkpoint)).toBe(JSON.stringify(committed[seq - 1]));
      expect(kept.journalCount).toBe(3 * seq);
    }
    expect(JSON.stringify((await files.read('grows')).snapshot)).toBe(JSON.stringify(committed.at(-1)?.snapshot));
    expect((await files.history('grows')).map((h) => h.journalCount).slice(-2)).toEqual([897, 900]);
  });

  it('starts each session with a whole checkpoint, so a change never applies to another driver\'s line', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'sessions');
    const first = await files.create(meta('sessions'));
    await first.commit(checkpoint({ activeMs: 1 }));
    await first.commit(checkpoint({ activeMs: 2 }));
    await first.close();
    const second = await files.open('sessions');
    await second.commit(checkpoint({ activeMs: 3 }));
    await second.commit(checkpoint({ activeMs: 4 }));
    await second.close();
    const lines = readFileSync(paths.history, 'utf8').trim().split('\n').map((line) => Object.keys(JSON.parse(line)));
    expect(lines).toEqual([
      ['seq', 'at', 'journalCount', 'epoch', 'checkpoint'],
      ['seq', 'at', 'journalCount', 'epoch', 'delta'],
      ['seq', 'at', 'journalCount', 'epoch', 'checkpoint'],
      ['seq', 'at', 'journalCount', 'epoch', 'delta'],
    ]);
    expect((await files.history('sessions')).map((h) => h.seq)).toEqual([1, 2, 3, 4]);
    expect((await files.checkpointAt('sessions', 4)).checkpoint.activeMs).toBe(4);
  });

  it('refuses a change whose whole checkpoint is gone, naming the file, and leaves it as it was', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'headless');
    const session = await files.create(meta('headless'));
    await session.commit(checkpoint({ activeMs: 1 }));
    await session.commit(checkpoint({ activeMs: 2 }));
    await session.close();
    const lines = readFileSync(paths.history, 'utf8').split('\n');
    writeFileSync(paths.history, lines.slice(1).join('\n'));
    const damaged = readFileSync(paths.history, 'utf8');
    await expect(files.read('headless')).rejects.toBeInstanceOf(CorruptRunError);
    await expect(files.open('headless')).rejects.toThrow(/history\.ndjson: checkpoint 2 is a change to a checkpoint the file does not hold/);
    expect(readFileSync(paths.history, 'utf8')).toBe(damaged);
  });

  it('refuses a damaged line inside the last delta chain, naming it, and a complete last line before a torn one', async () => {
    const files = new FileStore({ dir: tempDir() });
    const paths = runPaths(files.dir, 'damaged');
    const session = await files.create(meta('damaged'));
    for (let i = 1; i <= 3; i++) await session.commit(checkpoint({ activeMs: i }));
    await session.close();
    const lines = readFileSync(paths.history, 'utf8').split('\n');
    writeFileSync(paths.history, [lines[0], '{"seq":2,"at', lines[2], lines[3]].join('\n'));
    await expect(files.read('damaged')).rejects.toThrow(/history\.ndjson line 2 is not valid JSON/);
    // Two writes that never completed cannot come from one crash: a bad complete line before a torn one is damage.
    writeFileSync(paths.history, [lines[0], lines[1], '{"seq":3,"at', '{"seq":4'].join('\n'));
    await expect(files.open('damaged')).rejects.toBeInstanceOf(CorruptRunError);
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
