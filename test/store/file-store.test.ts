// The file store: one file per run, listing newest first with unreadable files reported, epochs and fencing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRunError, FencedError, FileStore, RunExistsError, RunLockedError, RunNotFoundError } from '../../src/store/index.ts';
import { removeTempDirs, runRecord, tempDir, tempStore } from '../steps/fixtures.ts';

afterAll(removeTempDirs);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FileStore', () => {
  it('creates a run file, reads it back, and refuses to create it twice', async () => {
    const store = tempStore();
    const handle = await store.create(runRecord('r1', { input: { question: 'q' } }));
    await handle.close();
    const read = store.read('r1');
    expect(read.runId).toBe('r1');
    expect(read.input).toEqual({ question: 'q' });
    await expect(store.create(runRecord('r1'))).rejects.toBeInstanceOf(RunExistsError);
    expect(() => store.read('r2')).toThrow(RunNotFoundError);
    await expect(store.open('r2')).rejects.toBeInstanceOf(RunNotFoundError);
    expect(readdirSync(store.dir)).toEqual(['r1.json']);
  });

  it('writes every saved change, coalescing a burst into whole-record writes', async () => {
    const store = tempStore();
    const handle = await store.create(runRecord('burst'));
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      handle.record.activeMs = i;
      saves.push(handle.save());
    }
    await Promise.all(saves);
    expect(store.read('burst').activeMs).toBe(20);
    await handle.close();
  });

  it('bumps the epoch each time a driver opens the run', async () => {
    const store = tempStore();
    await (await store.create(runRecord('e'))).close();
    expect(store.read('e').epoch).toBe(1);
    const second = await store.open('e');
    expect(second.record.epoch).toBe(2);
    expect(store.read('e').epoch).toBe(2);
    await second.close();
    const third = await store.open('e');
    expect(third.record.epoch).toBe(3);
    await third.close();
  });

  it('lists runs newest first and reports unreadable files instead of hiding them', async () => {
    const store = tempStore();
    const at = (minute: number) => `2026-11-03T10:${String(minute).padStart(2, '0')}:00.000Z`;
    for (const [runId, minute] of [['middle', 20], ['newest', 30], ['oldest', 10]] as const) {
      await (await store.create(runRecord(runId, { createdAt: at(minute), status: 'done' }))).close();
    }
    writeFileSync(join(store.dir, 'junk.json'), '{ not json');
    writeFileSync(join(store.dir, 'stranger.json'), JSON.stringify({ hello: 'world' }));
    writeFileSync(join(store.dir, 'notes.txt'), 'not a run file');
    writeFileSync(join(store.dir, '.newest.json.tmp'), 'half written');
    const { runs, unreadable } = store.list();
    expect(runs.map((r) => r.runId)).toEqual(['newest', 'middle', 'oldest']);
    expect(runs[0]).toMatchObject({ workflowId: 'wf', status: 'done', createdAt: at(30), tokens: 0, calls: 0, flags: [] });
    expect(unreadable.map((u) => u.file).sort()).toEqual(['junk.json', 'stranger.json']);
    expect(unreadable.find((u) => u.file === 'junk.json')?.reason).toMatch(/not valid JSON/);
    expect(unreadable.find((u) => u.file === 'stranger.json')?.reason).toMatch(/not a run record/);
  });

  it('lists nothing for a directory that does not exist yet', () => {
    const store = new FileStore({ dir: join(tempDir(), 'not-yet') });
    expect(store.list()).toEqual({ runs: [], unreadable: [] });
  });

  it('reports a damaged file as CorruptRunError without changing it', () => {
    const store = tempStore();
    const text = JSON.stringify({ ...runRecord('bad'), status: 'exploded' });
    writeFileSync(store.pathOf('bad'), text);
    expect(() => store.read('bad')).toThrow(CorruptRunError);
    expect(() => store.read('bad')).toThrow(/status/);
    expect(readFileSync(store.pathOf('bad'), 'utf8')).toBe(text);
  });

  it('fences off an older driver once a newer one has taken its stale lock', async () => {
    const dir = tempDir();
    const older = new FileStore({ dir, lockStaleMs: 1 });
    const newer = new FileStore({ dir, lockStaleMs: 1 });
    const first = await older.create(runRecord('contested'));
    await first.save(); // a new run's file is written by its first save
    await sleep(10); // older than 1 ms: stale
    const second = await newer.open('contested');
    expect(second.record.epoch).toBe(2);

    first.record.status = 'failed';
    await expect(first.save()).rejects.toBeInstanceOf(FencedError);
    await expect(first.save()).rejects.toBeInstanceOf(FencedError); // checked again, not a stale rejection
    const onDisk = newer.read('contested');
    expect(onDisk.epoch).toBe(2);
    expect(onDisk.status).toBe('running');

    second.record.status = 'done';
    await second.save();
    // The fenced driver's close neither throws again nor removes the lock it no longer owns.
    await expect(first.close()).resolves.toBeUndefined();
    expect(existsSync(newer.lockPathOf('contested'))).toBe(true);
    await expect(new FileStore({ dir }).open('contested')).rejects.toBeInstanceOf(RunLockedError);
    await second.close();
    expect(existsSync(newer.lockPathOf('contested'))).toBe(false);
    expect(newer.read('contested').status).toBe('done');
  });

  it('writes durable records with fsync on', async () => {
    const store = tempStore({ fsync: true });
    const handle = await store.create(runRecord('durable'));
    handle.record.activeMs = 42;
    await handle.save();
    await handle.close();
    expect(store.read('durable').activeMs).toBe(42);
    expect(readdirSync(store.dir)).toEqual(['durable.json']);
  });
});
