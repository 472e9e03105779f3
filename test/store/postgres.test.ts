// PostgresStore on the local server: the conformance suite, then what only a shared database can get wrong.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CorruptRunError, FencedError, RunLockedError, StoreUnavailableError, type RunSession, type RunStore } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing, sql } from '../helpers/postgres.ts';
import { describeRunStore } from './conformance.ts';
import { checkpoint, entry, meta, sleep, tick } from './helpers.ts';

const missing = await postgresMissing();
// Without a server these tests cannot say anything; in CI that is a failure, not a skip.
const skip = missing !== null && !process.env.CI;
if (skip) console.log(`PostgreSQL tests skipped: no server at ${localPostgresUrl} (${missing}); CI is not set`);

const schemas: string[] = [];

/** A store in a schema of its own, so each test starts from an empty database and leaves nothing behind. */
function makeStore(options: { leaseMs?: number } = {}): { store: PostgresStore; schema: string } {
  const schema = freshSchema();
  schemas.push(schema);
  return { store: new PostgresStore({ url: localPostgresUrl, schema, ...options }), schema };
}

afterAll(async () => {
  if (!skip) await Promise.all(schemas.splice(0).map((schema) => dropSchema(localPostgresUrl, schema)));
});

/** PostgreSQL's takeover: the holder's lease runs out (here by decree, in SQL) and a newer driver claims the run. */
async function expireLease(store: RunStore, runId: string): Promise<void> {
  if (!(store instanceof PostgresStore)) throw new Error('the PostgreSQL takeover needs a PostgresStore');
  await sql(localPostgresUrl, `UPDATE "${store.schema}".runs SET held_until = now() - interval '1 second' WHERE run_id = $1`, [runId]);
}

// Without a server (outside CI) the reason is printed above and no suite is declared.
if (!skip) {
  describeRunStore(
    'PostgresStore',
    async () => {
      const { store, schema } = makeStore();
      return {
        store,
        cleanup: async () => {
          await store.end();
          await dropSchema(localPostgresUrl, schema);
        },
      };
    },
    {
      takeOver: async (store, runId) => {
        await expireLease(store, runId);
        return store.open(runId);
      },
      cutJournal: async (store, runId, keep) => {
        if (!(store instanceof PostgresStore)) throw new Error('cutting the journal needs a PostgresStore');
        const s = `"${store.schema}"`;
        await sql(localPostgresUrl, `DELETE FROM ${s}.journal WHERE run_id = $1 AND seq NOT IN (SELECT seq FROM ${s}.journal WHERE run_id = $1 ORDER BY seq LIMIT $2)`, [runId, keep]);
      },
    },
  );

  describe('PostgresStore on a shared database', () => {
    const stores: PostgresStore[] = [];
    const sessions: RunSession[] = [];
    afterEach(async () => {
      await Promise.allSettled(sessions.splice(0).map((session) => session.close()));
      await Promise.allSettled(stores.splice(0).map((store) => store.end()));
    });
    function kept<T extends PostgresStore>(store: T): T {
      stores.push(store);
      return store;
    }

    it('masks the credentials in its location', () => {
      const store = kept(new PostgresStore({ url: 'postgres://alice:s3cr/et@db.example:5432/runs?sslpassword=x' }));
      expect(store.location).toBe('postgres://***@db.example:5432/runs?sslpassword=***');
    });

    it('lets exactly one of two processes claim a run they open at once', async () => {
      const { store: first, schema } = makeStore();
      kept(first);
      sessions.push(await first.create(meta('race')));
      await sessions[0]?.close();
      const second = kept(new PostgresStore({ url: localPostgresUrl, schema })); // another pool, as another process
      for (let round = 0; round < 10; round++) {
        const results = await Promise.allSettled([first.open('race'), second.open('race')]);
        const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
        expect(won).toHaveLength(1);
        expect(lost[0]).toBeInstanceOf(RunLockedError);
        await won[0]?.close();
      }
      expect((await first.read('race')).epoch).toBe(11);
    });

    it('fences a stale driver after a takeover: it can neither overwrite the checkpoint nor shadow the journal', async () => {
      const { store: mine, schema } = makeStore();
      kept(mine);
      const stale = await mine.create(meta('fenced'));
      sessions.push(stale);
      await stale.append(entry('k1', 'stale k1'));
      await stale.commit(checkpoint({ activeMs: 1 }), [tick('stale')]);

      await expireLease(mine, 'fenced');
      const other = kept(new PostgresStore({ url: localPostgresUrl, schema }));
      const newer = await other.open('fenced');
      sessions.push(newer);
      await newer.append(entry('k1', 'newer k1'));
      await newer.commit(checkpoint({ status: 'waiting', activeMs: 5 }), [tick('newer')]);

      await expect(stale.commit(checkpoint({ status: 'failed', activeMs: 9 }), [tick('late')])).rejects.toBeInstanceOf(FencedError);
      await expect(stale.append(entry('k1', 'stale again'))).rejects.toBeInstanceOf(FencedError);
      await expect(stale.append(entry('k2', 'stale new key'))).rejects.toBeInstanceOf(FencedError);

      const record = await other.read('fenced');
      expect(record).toMatchObject({ status: 'waiting', activeMs: 5, epoch: 2 });
      expect(record.journal.map((e) => [e.key, e.result.content, e.epoch])).toEqual([['k1', 'newer k1', 2]]);
      expect(record.timeline.map((t) => t.event)).toEqual(['stale', 'newer']);
    });

    it('reports an unreachable server as unavailable, naming it with the password masked, without hanging', async () => {
      const store = kept(new PostgresStore({ url: 'postgres://bob:hunter2@127.0.0.1:1/runs', connectTimeoutMs: 2_000 }));
      const started = Date.now();
      const failure = await store.read('anything').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      const message = failure instanceof Error ? failure.message : '';
      expect(message).toContain('postgres://***@127.0.0.1:1/runs');
      expect(message).not.toContain('hunter2');
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(PostgresStore.connect('postgres://bob:hunter2@127.0.0.1:1/runs')).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('reads 1,000 appends back in order', async () => {
      const { store } = makeStore();
      kept(store);
      const session = await store.create(meta('long'));
      sessions.push(session);
      for (let i = 0; i < 1000; i++) await session.append(entry(`k${i}`));
      const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
      expect(session.record.journal.map((e) => e.key)).toEqual(keys);
      expect((await store.read('long')).journal.map((e) => e.key)).toEqual(keys);
    });

    it('keeps a live session\'s run past its lease by heartbeat, and frees a silent one when the lease runs out', async () => {
      const { store: mine, schema } = makeStore({ leaseMs: 300 });
      kept(mine);
      const other = kept(new PostgresStore({ url: localPostgresUrl, schema, leaseMs: 300 }));
      const live = await mine.create(meta('beating'));
      sessions.push(live);
      await sleep(900);
      await expect(other.open('beating')).rejects.toThrow(/being driven by .*:\d+:[0-9a-f]{8}/);
      // A driver that died without closing stops renewing: here, a lease written and never renewed.
      await sql(localPostgresUrl, `INSERT INTO "${schema}".runs SELECT 'silent', meta, checkpoint, summary, status, 1, created_at, now(), NULL, false, 'gone:1:00000000', now() + interval '300 milliseconds' FROM "${schema}".runs WHERE run_id = 'beating'`);
      await expect(other.open('silent')).rejects.toBeInstanceOf(RunLockedError);
      await sleep(400);
      const taken = await other.open('silent');
      sessions.push(taken);
      expect(taken.epoch).toBe(2);
    });

    it('refuses a damaged row as corrupt without claiming it, and lists it as unreadable', async () => {
      const { store, schema } = makeStore();
      kept(store);
      await (await store.create(meta('damaged'))).close();
      await sql(localPostgresUrl, `UPDATE "${schema}".runs SET checkpoint = '{"status": "dancing"}', summary = '{}' WHERE run_id = 'damaged'`);
      await expect(store.read('damaged')).rejects.toBeInstanceOf(CorruptRunError);
      await expect(store.open('damaged')).rejects.toBeInstanceOf(CorruptRunError);
      const { rows } = await sql(localPostgresUrl, `SELECT epoch, holder FROM "${schema}".runs WHERE run_id = 'damaged'`);
      expect(rows[0]).toEqual({ epoch: '1', holder: null });
      const listing = await store.list();
      expect(listing.runs).toEqual([]);
      expect(listing.unreadable).toEqual([{ file: 'damaged', reason: expect.stringContaining('summary') }]);
    });

    it('gives back exactly what was stored: key order and U+0000 survive (the runtime hashes restored requests)', async () => {
      const { store } = makeStore();
      kept(store);
      const session = await store.create(meta('exact', { input: { zeta: 1, alpha: 'a\u0000b' } }));
      sessions.push(session);
      const call = entry('k', 'reply with \u0000 inside');
      const snapshot = { status: 'active', value: 'x', context: { unit: 'C', city: 'Oslo', args: { zz: 1, a: 2 }, nul: '\u0000' } };
      await session.append(call);
      await session.commit(checkpoint({ snapshot, flags: ['odd\u0000flag'] }), [{ ...tick('t'), event: 'e\u0000' }]);
      const record = await store.read('exact');
      expect(JSON.stringify(record.snapshot)).toBe(JSON.stringify(snapshot));
      expect(JSON.stringify(record.input)).toBe(JSON.stringify({ zeta: 1, alpha: 'a\u0000b' }));
      expect(record.journal[0]?.result.content).toBe('reply with \u0000 inside');
      expect(record.timeline[0]?.event).toBe('e\u0000');
      expect(record.flags).toEqual(['odd\u0000flag']);
      expect((await store.list()).runs[0]?.flags).toEqual(['odd\ufffdflag']); // the listing's display copy
    });

    it('lists without the heavy parts and finds runs due to wake', async () => {
      const { store, schema } = makeStore();
      kept(store);
      const session = await store.create(meta('sleepy'));
      sessions.push(session);
      await session.commit(checkpoint({ status: 'waiting', wakeAt: Date.parse('2026-11-29T12:00:00.000Z') }));
      const { rows } = await sql(localPostgresUrl, `SELECT status, wake_at FROM "${schema}".runs WHERE run_id = 'sleepy'`);
      expect(rows[0]).toEqual({ status: 'waiting', wake_at: new Date('2026-11-29T12:00:00.000Z') });
      expect((await store.list()).runs.map((run) => run.status)).toEqual(['waiting']);
    });
  });
}
