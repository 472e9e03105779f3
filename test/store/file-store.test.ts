// The file store's own promises: its directory layout, torn and damaged files, copies, first-release runs, bounded checkpoints.
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicJsonFile } from '../../src/store/atomic-json-file.ts';
import { CorruptRunError, FencedError, FileStore, RunExistsError, VersionNotFoundError, type RunRecord } from '../../src/store/index.ts';
import { runPaths } from '../../src/store/run-files.ts';
import { checkpoint, entry, meta, removeTempDirs, sleep, tempDir, tick, version } from './helpers.ts';

afterAll(removeTempDirs);

function store(options: { fsync?: boolean; lockStaleMs?: number } = {}): FileStore {
  return new FileStore({ dir: tempDir(), ...options });
}

/** A run as the first release stored it: everything in one `<runId>.json`. */
function firstReleaseRun(runId: string): RunRecord {
  return {
    format: 1,
    ...meta(runId),
    status: 'waiting',
    snapshot: { status: 'active', value: 'approval', context: { n: 2 } },
    journal: [entry('k1'), entry('k2')],
    timeline: [tick('a'), tick('b')],
    flags: ['slow'],
    epoch: 3,
    usage: { tokensIn: 6, tokensOut: 10, calls: 2 },
    activeMs: 40,
    wakeAt: null,
    updatedAt: '2026-11-29T10:05:00.000Z',
  };
}

describe('FileStore layout', () => {
  it('creates a run as one directory holding its run.json and lock, and no empty files', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'new');
    const session = await files.create(meta('new'));
    expect(readdirSync(paths.dir).sort()).toEqual(['lock', 'run.json']);
    await session.close();
    expect(readdirSync(paths.dir)).toEqual(['run.json']);
    expect(await files.read('new')).toMatchObject({ status: 'running', snapshot: null, epoch: 1, updatedAt: meta('new').createdAt });
  });

  it('keeps a run as a directory of plain files, and its lock only while driven', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'r1');
    const session = await files.create(meta('r1'));
    expect(existsSync(paths.lock)).toBe(true);
    await session.append(entry('k1'));
    await session.commit(checkpoint(), [tick('a')]);
    // A commit of a running run is one history line: checkpoint.json is written when the run comes to rest.
    expect(existsSync(paths.checkpoint)).toBe(false);
    await session.commit(checkpoint({ status: 'waiting' }));
    await session.close();
    expect(readdirSync(paths.dir).sort()).toEqual(['checkpoint.json', 'history.ndjson', 'journal.ndjson', 'run.json', 'timeline.ndjson']);
    expect(JSON.parse(readFileSync(paths.meta, 'utf8'))).toMatchObject({ format: 2, runId: 'r1', workflow: { hash: 'h1' } });
    expect(JSON.parse(readFileSync(paths.checkpoint, 'utf8'))).toMatchObject({ ...checkpoint({ status: 'waiting' }), epoch: 1, seq: 2 });
    expect(readFileSync(paths.journal, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(paths.timeline, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(paths.history, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('reads the latest checkpoint from the history when checkpoint.json is older, and checkpoint.json when it is newer', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'latest');
    const first = await files.create(meta('latest'));
    await first.commit(checkpoint({ status: 'waiting', activeMs: 1 }));
    await first.commit(checkpoint({ activeMs: 2 }));
    expect(JSON.parse(readFileSync(paths.checkpoint, 'utf8'))).toMatchObject({ status: 'waiting', seq: 1 });
    expect(await files.read('latest')).toMatchObject({ status: 'running', activeMs: 2, epoch: 1 });
    await first.close();
    // Taking the run bumps the epoch in checkpoint.json, which then copies the last line.
    const second = await files.open('latest');
    expect(JSON.parse(readFileSync(paths.checkpoint, 'utf8'))).toMatchObject({ status: 'running', activeMs: 2, epoch: 2, seq: 2 });
    await second.commit(checkpoint({ activeMs: 3 }));
    expect(await files.read('latest')).toMatchObject({ activeMs: 3, epoch: 2 });
    expect((await files.list()).runs[0]).toMatchObject({ status: 'running', activeMs: 3 });
    await second.close();
  });

  it('reads a run whose checkpoint.json predates seq numbers (written before each history line) from checkpoint.json', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'older');
    const session = await files.create(meta('older'));
    await session.commit(checkpoint({ status: 'waiting', activeMs: 5 }));
    await session.close();
    const written: Record<string, unknown> = JSON.parse(readFileSync(paths.checkpoint, 'utf8'));
    const { seq: _seq, ...older } = written;
    writeFileSync(paths.checkpoint, JSON.stringify({ ...older, activeMs: 6 }));
    expect((await files.read('older')).activeMs).toBe(6);
  });
});

describe('FileStore journal damage', () => {
  it('ignores a torn last line, and cuts it off before appending again', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'torn');
    const session = await files.create(meta('torn'));
    await session.append(entry('k1'));
    await session.close();
    appendFileSync(paths.journal, JSON.stringify(entry('k2')).slice(0, 40)); // a crash mid-append
    expect((await files.read('torn')).journal.map((e) => e.key)).toEqual(['k1']);

    const next = await files.open('torn');
    expect(next.record.journal.map((e) => e.key)).toEqual(['k1']);
    await next.append(entry('k3'));
    await next.close();
    expect((await files.read('torn')).journal.map((e) => e.key)).toEqual(['k1', 'k3']);
  });

  it('ignores a last line whose bytes never landed', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'zeros');
    await (await files.create(meta('zeros'))).close();
    appendFileSync(paths.journal, `${JSON.stringify(entry('k1'))}\n\0\0\0\0\n`);
    expect((await files.read('zeros')).journal.map((e) => e.key)).toEqual(['k1']);
  });

  it('reports a damaged line before the last as CorruptRunError, leaving the file as it was', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'damaged');
    await (await files.create(meta('damaged'))).close();
    const text = `${JSON.stringify(entry('k1'))}\n{ not json\n${JSON.stringify(entry('k2'))}\n`;
    writeFileSync(paths.journal, text);
    await expect(files.read('damaged')).rejects.toThrow(CorruptRunError);
    await expect(files.read('damaged')).rejects.toThrow(/journal\.ndjson line 2/);
    await expect(files.open('damaged')).rejects.toBeInstanceOf(CorruptRunError);
    expect(readFileSync(paths.journal, 'utf8')).toBe(text);
    expect(existsSync(paths.lock)).toBe(false);
    // A listing reads meta and checkpoint only (not every journal): the damage shows when the run is read or opened.
    expect((await files.list()).runs.map((r) => r.runId)).toEqual(['damaged']);
  });

  it('reports a line that is JSON but not a journal entry', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'stranger');
    await (await files.create(meta('stranger'))).close();
    writeFileSync(paths.journal, `${JSON.stringify({ hello: 'world' })}\n`);
    await expect(files.read('stranger')).rejects.toThrow(/line 1 is not a journal entry/);
  });

  it('refuses a journal entry whose checked fields have the wrong type, and keeps fields it does not name', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'typed');
    await (await files.create(meta('typed'))).close();
    const good = { ...entry('k1'), extra: { kept: [1, 'two'] } };
    writeFileSync(paths.journal, `${JSON.stringify(good)}\n`);
    expect((await files.read('typed')).journal[0]).toEqual(good);
    const base = entry('k2');
    const wrong: unknown[] = [
      { ...base, result: { ...base.result, tokensIn: '19' } },
      { ...base, result: { ...base.result, metadata: {} } },
      { ...base, result: { ...base.result, ttftMs: undefined } },
      { ...base, judges: [{ ...base.result, success: 'yes' }] },
      { ...base, messages: [{ role: 'user' }] },
      { ...base, epoch: 1.5 },
      { ...base, reusedFrom: 7 },
      [base],
    ];
    for (const bad of wrong) {
      writeFileSync(paths.journal, `${JSON.stringify(good)}\n${JSON.stringify(bad)}\n`);
      await expect(files.read('typed')).rejects.toThrow(/journal\.ndjson line 2 is not a journal entry/);
    }
    // 1e400 is how JSON holds a number that is not finite (it parses as Infinity): refused as zod's z.number() did.
    writeFileSync(paths.journal, `${JSON.stringify(base).replace('"tokensIn":', '"tokensIn":1e400,"was":')}\n${JSON.stringify(good)}\n`);
    await expect(files.read('typed')).rejects.toThrow(/journal\.ndjson line 1 is not a journal entry/);
  });

  it('reads only the timeline tail a record keeps, and still reports damage in it by its line number', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'tail');
    await (await files.create(meta('tail'))).close();
    const lines = Array.from({ length: 1500 }, (_, i) => `${JSON.stringify(tick(`e${i}`))}\n`);
    // A damaged line older than the kept tail is never read; one inside it is reported where it is; a torn last line
    // (a crash mid-append) is left out and cut by the next open.
    const old = [...lines.slice(0, 100), '{ not json\n', ...lines.slice(100)].join('');
    writeFileSync(paths.timeline, `${old}{"at":"2026`);
    const record = await files.read('tail');
    expect(record.timeline).toHaveLength(1000);
    expect(record.timeline[0]?.event).toBe('e500');
    expect(record.timeline.at(-1)?.event).toBe('e1499');
    await (await files.open('tail')).close();
    expect(readFileSync(paths.timeline, 'utf8')).toBe(old);

    const recent = [...lines.slice(0, 1400), JSON.stringify({ at: 'now', actor: 'root' }), '\n', ...lines.slice(1400)].join('');
    writeFileSync(paths.timeline, recent);
    await expect(files.read('tail')).rejects.toThrow(/timeline\.ndjson line 1401 is not a timeline entry/);
    await expect(files.open('tail')).rejects.toBeInstanceOf(CorruptRunError);

    // Blank lines in the tail leave fewer than 1,000 entries there: the record still carries the last 1,000.
    writeFileSync(paths.timeline, [...lines.slice(0, 1000), '\n'.repeat(10), ...lines.slice(1000)].join(''));
    const padded = await files.read('tail');
    expect(padded.timeline).toHaveLength(1000);
    expect(padded.timeline[0]?.event).toBe('e500');
  });

  it('reads each version once and shares it, frozen, with every run on it; a missing one is looked for again', async () => {
    const files = store();
    const stored = version('export default "shared";\n', { definition: { id: 'wf', states: { only: {} } } });
    await expect(files.getVersion(stored.hash)).rejects.toBeInstanceOf(VersionNotFoundError);
    await files.putVersion(stored);
    const workflow = { ...meta('x').workflow, version: stored.hash };
    for (const runId of ['shared-1', 'shared-2']) await (await files.create(meta(runId, { workflow }))).close();
    const [one, two] = await Promise.all([files.read('shared-1'), files.readHead('shared-2')]);
    expect(one.workflow.definition).toEqual(stored.definition);
    expect(two.workflow.definition).toBe(one.workflow.definition);
    expect(Object.isFrozen(one.workflow.definition)).toBe(true);
    // Another store over the same directory reads the file itself, and gets an equal version.
    expect(await new FileStore({ dir: files.dir }).getVersion(stored.hash)).toEqual(await files.getVersion(stored.hash));
  });

  it('never lets a stale driver’s late entry shadow the newer driver’s', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'late');
    await (await files.create(meta('late'))).close();
    const newer = await files.open('late');
    await newer.append(entry('k', 'newer'));
    await newer.close();
    // What a driver of epoch 1 leaves if its append passed the lock check just before it lost the run.
    appendFileSync(paths.journal, `${JSON.stringify({ ...entry('k', 'stale'), epoch: 1 })}\n`);
    const record = await files.read('late');
    expect(record.journal.map((e) => [e.result.content, e.epoch])).toEqual([['newer', 2]]);
  });
});

describe('FileStore refusals', () => {
  it('refuses a run directory copied under another name, naming both ids', async () => {
    const files = store();
    await (await files.create(meta('original'))).close();
    cpSync(join(files.dir, 'original'), join(files.dir, 'copy'), { recursive: true });
    await expect(files.read('copy')).rejects.toThrow(CorruptRunError);
    await expect(files.read('copy')).rejects.toThrow(/original.*copy|copy.*original/);
    await expect(files.open('copy')).rejects.toBeInstanceOf(CorruptRunError);
    const { runs, unreadable } = await files.list();
    expect(runs.map((r) => r.runId)).toEqual(['original']);
    expect(unreadable.map((u) => u.file)).toEqual(['copy/']);
  });

  it('refuses to create a run over a first-release run of the same id', async () => {
    const files = store();
    writeFileSync(join(files.dir, 'old.json'), JSON.stringify(firstReleaseRun('old')));
    await expect(files.create(meta('old'))).rejects.toBeInstanceOf(RunExistsError);
  });

  it('lists what it cannot read with the reason, and skips what is not a run', async () => {
    const files = store();
    await (await files.create(meta('good'))).close();
    writeFileSync(join(files.dir, 'junk.json'), '{ not json');
    writeFileSync(join(files.dir, 'notes.txt'), 'not a run');
    writeFileSync(join(files.dir, '.hidden.json'), 'not a run');
    writeFileSync(join(files.dir, 'x.json.v1-converted'), 'kept aside');
    mkdirSync(join(files.dir, 'empty'));
    mkdirSync(join(files.dir, 'bad name'));
    const { runs, unreadable } = await files.list();
    expect(runs.map((r) => r.runId)).toEqual(['good']);
    expect(Object.fromEntries(unreadable.map((u) => [u.file, u.reason]))).toEqual({
      'junk.json': expect.stringMatching(/not valid JSON/),
      'empty/': expect.stringMatching(/no run\.json/),
      'bad name/': expect.stringMatching(/invalid run id/),
    });
  });
});

describe('FileStore first-release runs', () => {
  it('reads and lists a single-file run, and converts it on open keeping the old file aside', async () => {
    const files = store();
    const old = firstReleaseRun('old');
    const paths = runPaths(files.dir, 'old');
    writeFileSync(paths.v1, JSON.stringify(old));

    expect(await files.read('old')).toEqual(old);
    expect((await files.list()).runs).toMatchObject([{ runId: 'old', status: 'waiting', calls: 2 }]);

    const session = await files.open('old');
    expect(session.epoch).toBe(4);
    expect(session.record).toMatchObject({ format: 2, status: 'waiting', flags: ['slow'], snapshot: old.snapshot });
    expect(existsSync(paths.v1)).toBe(false);
    expect(JSON.parse(readFileSync(paths.v1Converted, 'utf8'))).toEqual(old);
    await session.append(entry('k3'));
    await session.close();

    const record = await files.read('old');
    expect(record).toMatchObject({ format: 2, runId: 'old', epoch: 4, usage: old.usage, timeline: old.timeline, input: old.input });
    expect(record.journal.map((e) => e.key)).toEqual(['k1', 'k2', 'k3']);
    expect((await files.list()).runs.map((r) => r.runId)).toEqual(['old']);
  });

  it('refuses a single-file run whose record names another run', async () => {
    const files = store();
    writeFileSync(join(files.dir, 'renamed.json'), JSON.stringify(firstReleaseRun('old')));
    await expect(files.read('renamed')).rejects.toThrow(/old.*renamed/);
    await expect(files.open('renamed')).rejects.toBeInstanceOf(CorruptRunError);
  });

  it('passes a cancel request for a run not yet converted', async () => {
    const files = store();
    writeFileSync(join(files.dir, 'old.json'), JSON.stringify(firstReleaseRun('old')));
    await files.requestCancel('old');
    await new Promise<void>((resolve) => {
      files.watchCancel('old', resolve);
    });
    expect((await files.read('old')).format).toBe(1);
  });
});

describe('FileStore checkpoint writes', () => {
  it('never uses another writer’s temp file: a stale temp file left in place changes nothing', async () => {
    const files = store();
    const paths = runPaths(files.dir, 'tmp');
    const session = await files.create(meta('tmp'));
    const foreign = join(paths.dir, `.checkpoint.99999.abcdef.1.tmp`);
    writeFileSync(foreign, '{"status":"failed"');
    await session.commit(checkpoint({ status: 'done' }));
    await session.close();
    expect(readFileSync(foreign, 'utf8')).toBe('{"status":"failed"');
    expect((await files.read('tmp')).status).toBe('done');
  });

  it('does not let a writer paused before its rename clobber a newer checkpoint', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    const parse = (text: string): unknown => JSON.parse(text);
    let release: () => void = () => undefined;
    const paused = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fenced = false;
    const stale = new AtomicJsonFile(path, {
      parse,
      beforeRename: async () => {
        await paused; // the stale driver stalls here, its temp file complete
        if (fenced) throw new FencedError('taken over');
      },
    });
    const newer = new AtomicJsonFile(path, { parse });
    const staleWrite = stale.write({ by: 'stale' });
    await sleep(20);
    fenced = true; // meanwhile a newer driver took the run and wrote its checkpoint
    await newer.write({ by: 'newer' });
    release();
    await expect(staleWrite).rejects.toBeInstanceOf(FencedError);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ by: 'newer' });
    expect(readdirSync(join(path, '..'))).toEqual(['checkpoint.json']); // the refused temp file is gone
  });

  it('leaves no temp file behind when a stale session’s commit is refused', async () => {
    const dir = tempDir();
    const paths = runPaths(dir, 'contested');
    const stale = await new FileStore({ dir }).create(meta('contested'));
    await sleep(30);
    const newer = await new FileStore({ dir, lockStaleMs: 10 }).open('contested');
    await newer.commit(checkpoint({ status: 'done' }));
    const written = readFileSync(paths.checkpoint, 'utf8');
    await expect(stale.commit(checkpoint({ status: 'failed' }))).rejects.toBeInstanceOf(FencedError);
    expect(readFileSync(paths.checkpoint, 'utf8')).toBe(written);
    expect(readdirSync(paths.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await stale.close();
    await newer.close();
  });

  it('writes durably with fsync on', async () => {
    const files = store({ fsync: true });
    const session = await files.create(meta('durable'));
    await session.append(entry('k'));
    await session.commit(checkpoint({ activeMs: 42 }));
    await session.close();
    expect(await files.read('durable')).toMatchObject({ activeMs: 42, journal: [{ key: 'k', epoch: 1 }] });
  });

  it('lets a cancel request left by one store instance reach a watcher in another', async () => {
    const dir = tempDir();
    const driver = new FileStore({ dir });
    const session = await driver.create(meta('remote'));
    const seen = new Promise<void>((resolve) => {
      driver.watchCancel('remote', resolve);
    });
    await new FileStore({ dir }).requestCancel('remote');
    await seen;
    await session.close();
  });
});
