// What any RunStore must do (files, memory, PostgreSQL): only the RunStore/RunSession interface is used here.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CorruptRunError,
  FencedError,
  InvalidRunIdError,
  RunExistsError,
  RunLockedError,
  RunNotFoundError,
  type Checkpoint,
  type RunRecord,
  type RunSession,
  type RunStore,
} from '../../src/store/index.ts';
import { CheckpointNotFoundError, VersionNotFoundError } from '../../src/store/index.ts';
import { checkpoint, entry, meta, tick, version } from './helpers.ts';

const list = async (store: RunStore) => (await store.list()).runs.map((run) => run.runId);

export interface StoreUnderTest {
  store: RunStore;
  cleanup: () => Promise<void>;
}

export interface ConformanceHooks {
  /**
   * Makes a newer driver take the run from the session that holds it, the way that store's takeover happens (a lock
   * gone stale, an expired lease): returns the newer session. Without it the fencing tests are skipped.
   */
  takeOver?: (store: RunStore, runId: string) => Promise<RunSession>;
  /**
   * Loses all but the first `keep` journal entries of a run the way that store can lose them (a file emptied or cut at
   * a line boundary, rows deleted by hand). Without it the test of that refusal is skipped (memory cannot lose them).
   */
  cutJournal?: (store: RunStore, runId: string, keep: number) => Promise<void>;
}

export function describeRunStore(name: string, make: () => Promise<StoreUnderTest>, hooks: ConformanceHooks = {}): void {
  describe(`RunStore conformance: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const sessions: RunSession[] = [];

    async function setup(): Promise<RunStore> {
      current = await make();
      return current.store;
    }
    /** Sessions are closed after each test whatever it did, so a failed test does not leave a lock or timer behind. */
    function held(session: RunSession): RunSession {
      sessions.push(session);
      return session;
    }

    afterEach(async () => {
      await Promise.allSettled(sessions.splice(0).map((session) => session.close()));
      await current?.cleanup();
      current = undefined;
    });

    it('gives back exactly the JSON it was given: key order and every character, for the journal and the snapshot', async () => {
      // The journal is matched by a hash of the request as serialised: a store that reorders keys or drops a
      // character would make a resumed run pay for a call again.
      const store = await setup();
      const session = held(await store.create(meta('exact')));
      const odd = { zeta: 1, alpha: { y: 'nul \u0000 here', b: [3, 1] }, 'é': 'ü' };
      const base = entry('k-exact');
      await session.append({ ...base, result: { ...base.result, content: JSON.stringify(odd), thinking: odd.alpha.y } });
      await session.commit(checkpoint({ snapshot: { status: 'active', value: 'x', context: odd } }));
      await session.close();
      const back = await store.read('exact');
      const stored = back.journal.find((e) => e.key === 'k-exact');
      expect(stored?.result.content).toBe(JSON.stringify(odd));
      expect(stored?.result.thinking).toBe('nul \u0000 here');
      expect(JSON.stringify(back.snapshot?.context)).toBe(JSON.stringify(odd));
    });

    it('creates a run, appends, commits and reads it all back', async () => {
      const store = await setup();
      const session = held(await store.create(meta('r1')));
      expect(session.runId).toBe('r1');
      expect(session.epoch).toBe(1);
      await session.append(entry('k1'));
      await session.append(entry('k2'));
      await session.commit(checkpoint({ output: { answer: 42 }, wakeAt: 1234 }), [tick('a'), tick('b')]);
      expect(session.record.journal.map((e) => e.key)).toEqual(['k1', 'k2']);
      expect(session.record.usage.calls).toBe(1);
      expect(session.record.timeline.map((t) => t.event)).toEqual(['a', 'b']);
      await session.close();

      const record = await store.read('r1');
      expect(record).toMatchObject({ format: 2, ...meta('r1') });
      expect(record.journal).toEqual([
        { ...entry('k1'), epoch: 1 },
        { ...entry('k2'), epoch: 1 },
      ]);
      expect(record).toMatchObject({ ...checkpoint({ output: { answer: 42 }, wakeAt: 1234 }), epoch: 1 });
      expect(record.timeline).toEqual([tick('a'), tick('b')]);
      expect(typeof record.updatedAt).toBe('string');
    });

    it('starts a run as running with nothing used', async () => {
      const store = await setup();
      held(await store.create(meta('fresh')));
      expect(await store.read('fresh')).toMatchObject({
        status: 'running',
        snapshot: null,
        journal: [],
        timeline: [],
        flags: [],
        usage: { tokensIn: 0, tokensOut: 0, calls: 0 },
        activeMs: 0,
        epoch: 1,
      });
    });

    it('stores copies: changing an object after writing it changes nothing stored', async () => {
      const store = await setup();
      const session = held(await store.create(meta('copies')));
      const written = checkpoint();
      const call = entry('k');
      await session.append(call);
      await session.commit(written);
      written.flags.push('changed later');
      call.result.content = 'changed later';
      const record = await store.read('copies');
      expect(record.flags).toEqual([]);
      expect(record.journal[0]?.result.content).toBe('reply to k');
    });

    it('keeps only checkpoint fields in the checkpoint', async () => {
      const store = await setup();
      const session = held(await store.create(meta('narrow')));
      await session.append(entry('k'));
      // A whole record is structurally a Checkpoint; its journal and meta must not be taken from it.
      const whole: RunRecord = { ...session.record, status: 'done', runId: 'other', journal: [] };
      await session.commit(whole);
      const record = await store.read('narrow');
      expect(record.status).toBe('done');
      expect(record.runId).toBe('narrow');
      expect(record.journal.map((e) => e.key)).toEqual(['k']);
    });

    it('refuses to create a run whose id is taken, held or not', async () => {
      const store = await setup();
      const session = held(await store.create(meta('taken')));
      await expect(store.create(meta('taken'))).rejects.toBeInstanceOf(RunExistsError);
      await session.close();
      await expect(store.create(meta('taken'))).rejects.toBeInstanceOf(RunExistsError);
    });

    it('lets one session drive a run at a time', async () => {
      const store = await setup();
      const created = held(await store.create(meta('one')));
      await expect(store.open('one')).rejects.toBeInstanceOf(RunLockedError);
      await created.close();
      const opened = held(await store.open('one'));
      await expect(store.open('one')).rejects.toBeInstanceOf(RunLockedError);
      await opened.close();
      held(await store.open('one'));
    });

    it('bumps the epoch each time a run is opened', async () => {
      const store = await setup();
      await held(await store.create(meta('e'))).close();
      expect((await store.read('e')).epoch).toBe(1);
      const second = held(await store.open('e'));
      expect(second.epoch).toBe(2);
      expect(second.record.epoch).toBe(2);
      expect((await store.read('e')).epoch).toBe(2);
      await second.close();
      const third = held(await store.open('e'));
      expect(third.epoch).toBe(3);
      await third.close();
    });

    it('hands an opened run over as it was left', async () => {
      const store = await setup();
      const first = held(await store.create(meta('resume')));
      await first.append(entry('k1'));
      await first.commit(checkpoint({ status: 'waiting', flags: ['slow'] }), [tick('a')]);
      await first.close();
      const second = held(await store.open('resume'));
      expect(second.record).toMatchObject({ ...meta('resume'), status: 'waiting', flags: ['slow'], epoch: 2 });
      expect(second.record.journal.map((e) => e.key)).toEqual(['k1']);
      expect(second.record.timeline).toEqual([tick('a')]);
    });

    it('refuses writes after close', async () => {
      const store = await setup();
      const session = held(await store.create(meta('closed')));
      await session.close();
      await expect(session.append(entry('late'))).rejects.toBeInstanceOf(FencedError);
      await expect(session.commit(checkpoint({ status: 'failed' }))).rejects.toBeInstanceOf(FencedError);
      const record = await store.read('closed');
      expect(record.journal).toEqual([]);
      expect(record.status).toBe('running');
    });

    it('waits for writes in flight when closing', async () => {
      const store = await setup();
      const session = held(await store.create(meta('inflight')));
      const writes = [session.append(entry('a')), session.commit(checkpoint({ activeMs: 99 })), session.append(entry('b'))];
      await session.close();
      await Promise.all(writes);
      const record = await store.read('inflight');
      expect(record.journal.map((e) => e.key)).toEqual(['a', 'b']);
      expect(record.activeMs).toBe(99);
    });

    it('lets the entry of the higher epoch win a key', async () => {
      const store = await setup();
      const first = held(await store.create(meta('keys')));
      await first.append(entry('k', 'first driver'));
      await first.append(entry('other'));
      await first.close();
      const second = held(await store.open('keys'));
      await second.append(entry('k', 'second driver'));
      expect(second.record.journal.map((e) => [e.key, e.result.content, e.epoch])).toEqual([
        ['k', 'second driver', 2],
        ['other', 'reply to other', 1],
      ]);
      await second.close();
      const record = await store.read('keys');
      expect(record.journal.map((e) => [e.key, e.result.content, e.epoch])).toEqual([
        ['k', 'second driver', 2],
        ['other', 'reply to other', 1],
      ]);
    });

    it('records a migration of the definition', async () => {
      const store = await setup();
      const session = held(await store.create(meta('migrated')));
      await session.migrate('h2', { id: 'wf', states: { more: {} } });
      expect(session.record.workflow.hash).toBe('h2');
      await session.close();
      const record = await store.read('migrated');
      expect(record.workflow).toMatchObject({ id: 'wf', hash: 'h2', definition: { id: 'wf', states: { more: {} } } });
      expect(record.input).toEqual(meta('migrated').input);
    });

    it('keeps the last 1,000 timeline entries in a record', async () => {
      const store = await setup();
      const session = held(await store.create(meta('long')));
      const events = Array.from({ length: 1005 }, (_, i) => tick(`e${i}`));
      await session.commit(checkpoint(), events.slice(0, 600));
      await session.commit(checkpoint(), events.slice(600));
      expect(session.record.timeline).toHaveLength(1000);
      expect(session.record.timeline[0]?.event).toBe('e5');
      await session.close();
      const record = await store.read('long');
      expect(record.timeline).toHaveLength(1000);
      expect(record.timeline[0]?.event).toBe('e5');
      expect(record.timeline.at(-1)?.event).toBe('e1004');
    });

    it('lists runs newest first with their summaries', async () => {
      const store = await setup();
      expect(await store.list()).toEqual({ runs: [], unreadable: [] });
      const at = (minute: number) => `2026-11-03T10:${String(minute).padStart(2, '0')}:00.000Z`;
      for (const [runId, minute] of [['middle', 20], ['newest', 30], ['oldest', 10]] as const) {
        const session = held(await store.create(meta(runId, { createdAt: at(minute) })));
        await session.commit(checkpoint({ status: 'done', usage: { tokensIn: minute, tokensOut: 1, calls: 2 } }));
        await session.close();
      }
      const { runs, unreadable } = await store.list();
      expect(unreadable).toEqual([]);
      expect(runs.map((r) => r.runId)).toEqual(['newest', 'middle', 'oldest']);
      expect(runs[0]).toMatchObject({ workflowId: 'wf', status: 'done', createdAt: at(30), tokens: 31, calls: 2, flags: [] });
    });

    it("keeps a refusal's blocked note in the record and the listing until a checkpoint without one", async () => {
      // Workers note why they cannot drive a run (its module failed to load): `ls`, `show` and the inspector read it.
      const store = await setup();
      const blocked = { code: 'WORKFLOW_LOAD', reason: 'cannot load workflow wf.workflow.ts: Unexpected token', since: '2026-11-29T10:00:03.000Z' };
      const session = held(await store.create(meta('blocked')));
      await session.commit(checkpoint({ blocked }));
      expect(session.record.blocked).toEqual(blocked);
      await session.close();
      expect((await store.read('blocked')).blocked).toEqual(blocked);
      expect((await store.list()).runs[0]?.blocked).toEqual(blocked);

      const driver = held(await store.open('blocked'));
      expect(driver.record.blocked).toEqual(blocked);
      await driver.commit(checkpoint({ activeMs: 20 }));
      expect(driver.record.blocked).toBeUndefined();
      await driver.close();
      expect((await store.read('blocked')).blocked).toBeUndefined();
      expect((await store.list()).runs[0]).not.toHaveProperty('blocked');
    });

    it('reads a run without its journal and timeline as its whole read has it', async () => {
      const store = await setup();
      if (!store.readHead) return; // optional: a store without it is read whole by the runtime
      const session = held(await store.create(meta('head')));
      await session.append(entry('k1'));
      await session.commit(checkpoint({ status: 'waiting', output: { partial: true }, wakeAt: 99 }), [tick('a')]);
      await session.close();
      const { journal, timeline, ...whole } = await store.read('head');
      expect(journal).toHaveLength(1);
      expect(timeline).toHaveLength(1);
      const head = await store.readHead('head');
      expect(head).toEqual(whole);
      expect(head).not.toHaveProperty('journal');
      expect(head).not.toHaveProperty('timeline');
    });

    it('reports an unknown run as not found', async () => {
      const store = await setup();
      await expect(store.read('nobody')).rejects.toBeInstanceOf(RunNotFoundError);
      if (store.readHead) await expect(store.readHead('nobody')).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(store.open('nobody')).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(store.requestCancel('nobody')).rejects.toBeInstanceOf(RunNotFoundError);
    });

    it('refuses an invalid run id before touching anything', async () => {
      const store = await setup();
      for (const bad of ['../escape', 'a/b', '', '.hidden', 'x'.repeat(65)]) {
        await expect(store.create(meta(bad))).rejects.toBeInstanceOf(InvalidRunIdError);
        await expect(store.open(bad)).rejects.toBeInstanceOf(InvalidRunIdError);
        await expect(store.read(bad)).rejects.toBeInstanceOf(InvalidRunIdError);
        await expect(store.requestCancel(bad)).rejects.toBeInstanceOf(InvalidRunIdError);
      }
    });

    it('passes a cancel request to whoever watches the run, once', async () => {
      const store = await setup();
      held(await store.create(meta('stop-me')));
      held(await store.create(meta('unwatched')));
      const calls: string[] = [];
      const stop = store.watchCancel('unwatched', () => calls.push('unwatched'));
      stop();
      const seen = new Promise<void>((resolve) => {
        store.watchCancel('stop-me', () => {
          calls.push('stop-me');
          resolve();
        });
      });
      await store.requestCancel('unwatched');
      await store.requestCancel('stop-me');
      await seen;
      expect(calls).toEqual(['stop-me']);
      await store.clearCancel('stop-me');
      await store.clearCancel('stop-me'); // clearing twice is harmless
    });

    it('sees a cancel request left before watching began', async () => {
      const store = await setup();
      held(await store.create(meta('early')));
      await store.requestCancel('early');
      await new Promise<void>((resolve) => {
        store.watchCancel('early', resolve);
      });
    });

    it('keeps every checkpoint in the history, numbered from 1, with the journal length at each commit', async () => {
      const store = await setup();
      const session = held(await store.create(meta('kept')));
      expect(await store.history('kept')).toEqual([]);
      await session.commit(checkpoint({ snapshot: { status: 'active', value: 'first', context: { n: 1 } } }));
      await session.append(entry('k1'));
      await session.append(entry('k2'));
      const second = checkpoint({ snapshot: { status: 'active', value: { review: 'deciding' }, context: { n: 2 } }, flags: ['slow'] });
      await session.commit(second, [tick('a')]);
      await session.append(entry('k1', 'rewritten')); // the same key again: still two entries
      await session.commit(checkpoint({ status: 'done', snapshot: null, output: { answer: 42 } }));
      // Readable while a session holds the run: a fork reads a run another process may be driving.
      const history = await store.history('kept');
      expect(history.map(({ seq, status, value, journalCount }) => ({ seq, status, value, journalCount }))).toEqual([
        { seq: 1, status: 'running', value: 'first', journalCount: 0 },
        { seq: 2, status: 'running', value: { review: 'deciding' }, journalCount: 2 },
        { seq: 3, status: 'done', value: null, journalCount: 2 },
      ]);
      for (const kept of history) expect(Number.isNaN(Date.parse(kept.at))).toBe(false);
      expect(history[0]).not.toHaveProperty('checkpoint');
      expect(history[0]).not.toHaveProperty('snapshot');
      const at2 = await store.checkpointAt('kept', 2);
      expect(at2.journalCount).toBe(2);
      expect(at2.checkpoint).toEqual(second);
      expect(JSON.stringify(at2.checkpoint.snapshot)).toBe(JSON.stringify(second.snapshot));
      expect((await store.checkpointAt('kept', 3)).checkpoint).toMatchObject({ status: 'done', output: { answer: 42 } });
    });

    it('reads back every checkpoint exactly, key order included, however its context changed from one to the next', async () => {
      // A store may keep what changed rather than copies: what it gives back must still be the JSON it was given.
      const store = await setup();
      const shapes: Checkpoint[] = [
        checkpoint({ snapshot: { status: 'active', value: 'a', context: { items: ['x'], note: { b: 1, a: 2 } } } }),
        checkpoint({ snapshot: { status: 'active', value: 'a', context: { items: ['x', 'y'], note: { b: 1, a: 2 } } } }),
        checkpoint({ snapshot: { status: 'active', value: { b: 'c' }, context: { note: { a: 2, b: 1, c: [] }, items: ['x', 'y'] } }, flags: ['f'] }),
        checkpoint({ snapshot: { status: 'active', value: 'd', context: { items: [], note: null, 'nul \u0000': '\u00e9' } }, output: { done: false } }),
        checkpoint({ status: 'waiting', snapshot: { status: 'active', value: 'd', context: { items: [{ deep: [1, [2, 3]] }], note: null } }, wakeAt: 99 }),
        checkpoint({ status: 'done', snapshot: null, output: { answer: 42 } }),
      ];
      let session = held(await store.create(meta('shapes')));
      for (const [i, shape] of shapes.entries()) {
        if (i === 3) {
          await session.close(); // a new session in the middle: its changes must not apply to the old one's
          session = held(await store.open('shapes'));
        }
        await session.commit(shape);
      }
      await session.close();
      for (const [i, shape] of shapes.entries()) {
        // The snapshot to the character; the checkpoint's own fields are the store's to order.
        const { checkpoint: back } = await store.checkpointAt('shapes', i + 1);
        expect(JSON.stringify(back.snapshot)).toBe(JSON.stringify(shape.snapshot));
        expect(back).toEqual(shape);
      }
      const record = await store.read('shapes');
      expect(record.status).toBe('done');
      expect(record.output).toEqual({ answer: 42 });
      expect(record.snapshot).toBeNull();
    });

    it('numbers the history on across sessions; opening a run adds nothing to it', async () => {
      const store = await setup();
      const first = held(await store.create(meta('renumber')));
      await first.commit(checkpoint({ activeMs: 1 }));
      await first.commit(checkpoint({ activeMs: 2 }));
      await first.close();
      const second = held(await store.open('renumber'));
      expect((await store.history('renumber')).map((h) => h.seq)).toEqual([1, 2]);
      await second.append(entry('k'));
      await second.commit(checkpoint({ activeMs: 3 }));
      await second.close();
      expect((await store.history('renumber')).map((h) => [h.seq, h.journalCount])).toEqual([
        [1, 0],
        [2, 0],
        [3, 1],
      ]);
      expect((await store.checkpointAt('renumber', 3)).checkpoint.activeMs).toBe(3);
      expect((await store.checkpointAt('renumber', 1)).checkpoint.activeMs).toBe(1);
    });

    it('refuses an unknown run or seq with a clear error', async () => {
      const store = await setup();
      await expect(store.history('nobody')).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(store.checkpointAt('nobody', 1)).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(store.history('../escape')).rejects.toBeInstanceOf(InvalidRunIdError);
      const session = held(await store.create(meta('short')));
      await expect(store.checkpointAt('short', 1)).rejects.toThrow(/run short has no checkpoint 1 \(it has none yet/);
      await session.commit(checkpoint());
      await session.commit(checkpoint());
      for (const seq of [0, 3, -1, 1.5, Number.NaN]) {
        const refusal = store.checkpointAt('short', seq);
        await expect(refusal).rejects.toBeInstanceOf(CheckpointNotFoundError);
        await expect(refusal).rejects.toBeInstanceOf(RunNotFoundError); // exit 2 in the CLI, like a missing run
      }
      await expect(store.checkpointAt('short', 3)).rejects.toThrow('run short has no checkpoint 3 (it has 1 to 2; see harness history short)');
    });

    it('keeps a workflow version once per hash and gives back exactly its code', async () => {
      const store = await setup();
      const code = 'export default "\u0000 ünïcode\r\n";\n';
      const first = version(code, { createdAt: '2026-12-07T10:00:00.000Z' });
      await store.putVersion(first);
      // The same hash again changes nothing: the first record stays, whoever stores it next.
      await store.putVersion({ ...first, createdAt: '2026-12-07T11:00:00.000Z' });
      expect(await store.getVersion(first.hash)).toEqual(first);
      const other = version('export default 2;\n');
      await store.putVersion(other);
      expect((await store.getVersion(other.hash)).code).toBe('export default 2;\n');
      expect((await store.getVersion(first.hash)).code).toBe(code);
      // Versions are not runs: listing runs does not show them.
      expect((await store.list()).runs).toEqual([]);
    });

    it('refuses an unknown or malformed version hash with a clear error, storing nothing for a bad one', async () => {
      const store = await setup();
      const missing = version('export default 3;\n');
      await expect(store.getVersion(missing.hash)).rejects.toBeInstanceOf(VersionNotFoundError);
      await expect(store.getVersion(missing.hash)).rejects.toThrow(`no version ${missing.hash.slice(0, 12)}`);
      await expect(store.getVersion('../escape')).rejects.toThrow(/a version is a sha256 hash/);
      await expect(store.putVersion({ ...missing, hash: '../escape' })).rejects.toBeInstanceOf(VersionNotFoundError);
      expect(await list(store)).toEqual([]);
    });

    it('records the version each checkpoint was written under, in the run and its history', async () => {
      const store = await setup();
      const session = held(await store.create(meta('versioned', { workflow: { ...meta('x').workflow, version: 'a'.repeat(64) } })));
      await session.commit(checkpoint({ version: 'a'.repeat(64) }));
      await session.commit(checkpoint({ version: 'b'.repeat(64) }));
      await session.migrate('h2', { id: 'wf', states: {} }, 'b'.repeat(64));
      await session.close();
      const record = await store.read('versioned');
      expect(record.version).toBe('b'.repeat(64));
      expect(record.workflow.version).toBe('b'.repeat(64));
      expect((await store.history('versioned')).map((h) => h.version)).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
      expect((await store.checkpointAt('versioned', 1)).checkpoint.version).toBe('a'.repeat(64));
    });

    it('reads a run on a version with the definition its version holds, kept once for every run on it', async () => {
      const store = await setup();
      const stored = version('export default "defined once";\n', { definition: { id: 'wf', states: { only: {} } } });
      await store.putVersion(stored);
      const workflow = { ...meta('x').workflow, version: stored.hash, definition: { id: 'wf', states: { only: {} } } };
      for (const runId of ['on-version-1', 'on-version-2']) {
        const session = held(await store.create(meta(runId, { workflow })));
        expect(session.record.workflow.definition).toEqual(stored.definition);
        await session.close();
        expect((await store.read(runId)).workflow.definition).toEqual(stored.definition);
        const reopened = held(await store.open(runId));
        expect(reopened.record.workflow.definition).toEqual(stored.definition);
        await reopened.close();
      }
    });

    const cutting = hooks.cutJournal ? it : it.skip;

    cutting('refuses to open a run whose journal holds fewer calls than its last checkpoint counted, writing nothing', async () => {
      const store = await setup();
      const cutJournal = hooks.cutJournal;
      if (!cutJournal) return;
      for (const runId of ['cut-short', 'cut-even']) {
        const session = held(await store.create(meta(runId)));
        for (const key of ['a', 'b', 'c']) await session.append(entry(key));
        await session.commit(checkpoint()); // written when the journal held 3
        await session.append(entry('d')); // paid for after the last checkpoint: no checkpoint counts it
        await session.close();
      }

      await cutJournal(store, 'cut-short', 2);
      const before = await store.read('cut-short');
      const refusal = store.open('cut-short');
      await expect(refusal).rejects.toBeInstanceOf(CorruptRunError);
      await expect(refusal).rejects.toThrow(/^run cut-short: its journal .*holds 2 calls but checkpoint 1 was written when it held 3: it was emptied or cut/);
      await expect(store.open('cut-short')).rejects.toBeInstanceOf(CorruptRunError); // refused again: nothing was claimed
      const after = await store.read('cut-short');
      expect(after.epoch).toBe(before.epoch);
      expect(after.journal.map((e) => e.key)).toEqual(['a', 'b']);
      expect((await store.history('cut-short')).map((h) => h.seq)).toEqual([1]);

      // What the checkpoint counted is all there: losing only a call made after it is not refused.
      await cutJournal(store, 'cut-even', 3);
      const reopened = held(await store.open('cut-even'));
      expect(reopened.record.journal.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    });

    const fencing = hooks.takeOver ? it : it.skip;

    fencing('fences a stale session off once a newer one has taken the run', async () => {
      const store = await setup();
      const takeOver = hooks.takeOver;
      if (!takeOver) return;
      const stale = held(await store.create(meta('contested')));
      await stale.append(entry('k', 'stale, before'));
      await stale.commit(checkpoint({ activeMs: 1 }), [tick('before')]);

      const newer = held(await takeOver(store, 'contested'));
      expect(newer.epoch).toBeGreaterThan(stale.epoch);

      await expect(stale.append(entry('k', 'stale, after'))).rejects.toBeInstanceOf(FencedError);
      await expect(stale.append(entry('k2'))).rejects.toBeInstanceOf(FencedError); // checked again each time
      await expect(stale.commit(checkpoint({ status: 'failed', activeMs: 2 }), [tick('stale')])).rejects.toBeInstanceOf(FencedError);
      await expect(stale.migrate('stale-hash', {})).rejects.toBeInstanceOf(FencedError);

      let record = await store.read('contested');
      expect(record.epoch).toBe(newer.epoch);
      expect(record.status).toBe('running');
      expect(record.activeMs).toBe(1);
      expect(record.workflow.hash).toBe('h1');
      expect(record.journal.map((e) => e.result.content)).toEqual(['stale, before']);
      expect(record.timeline.map((t) => t.event)).toEqual(['before']);
      expect((await store.history('contested')).map((h) => [h.seq, h.status])).toEqual([[1, 'running']]); // the refused commit is not kept

      // The stale session's close neither fails nor frees the run the newer session holds.
      await expect(stale.close()).resolves.toBeUndefined();
      await expect(store.open('contested')).rejects.toBeInstanceOf(RunLockedError);

      await newer.append(entry('k', 'newer'));
      await newer.commit(checkpoint({ status: 'done' }));
      await newer.close();
      record = await store.read('contested');
      expect(record.status).toBe('done');
      expect((await store.history('contested')).map((h) => [h.seq, h.status])).toEqual([
        [1, 'running'],
        [2, 'done'],
      ]);
      expect(record.journal.map((e) => e.result.content)).toEqual(['newer']);
    });
  });
}
