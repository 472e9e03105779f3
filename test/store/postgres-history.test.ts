// PostgresStore's kept checkpoints: a history row per commit the size of its change, read back exactly from any row.
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptRunError, type Checkpoint } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing, sql } from '../helpers/postgres.ts';
import { checkpoint, entry, meta } from './helpers.ts';

const missing = await postgresMissing();
// Without a server these tests cannot say anything; in CI that is a failure, not a skip.
const skip = missing !== null && !process.env.CI;
if (skip) console.log(`PostgreSQL history tests skipped: no server at ${localPostgresUrl} (${missing}); CI is not set`);

const schemas: string[] = [];
function makeStore(): PostgresStore {
  const schema = freshSchema();
  schemas.push(schema);
  return new PostgresStore({ url: localPostgresUrl, schema });
}

afterAll(async () => {
  if (!skip) await Promise.all(schemas.splice(0).map((schema) => dropSchema(localPostgresUrl, schema)));
});

interface StoredRow {
  seq: string;
  whole: number | null;
  change: number | null;
}

/** Each history row's stored bytes: the whole checkpoint's or the change's. */
async function storedRows(store: PostgresStore, runId: string): Promise<StoredRow[]> {
  const { rows } = await sql(
    localPostgresUrl,
    `SELECT seq, length(checkpoint::text) AS whole, length(delta::text) AS change FROM "${store.schema}".checkpoints WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  return rows.map((row: StoredRow) => row);
}

describe.skipIf(skip)('PostgresStore history', () => {
  it('stores each commit as the size of its change, however long the run and its context, and reads any back exactly', async () => {
    const store = makeStore();
    try {
      const session = await store.create(meta('grows'));
      const item = (i: number) => ({ i, text: `${i}`.padEnd(1000, '.') });
      const committed: Checkpoint[] = [];
      let items: { i: number; text: string }[] = [];
      for (let i = 0; i < 120; i++) {
        await session.append(entry(`k${i}`));
        items = [...items, item(i)]; // a context that keeps every result, as an agent's transcript does
        const next = checkpoint({ activeMs: 1000 + i, snapshot: { status: 'active', value: 'step', context: { i, items } } });
        committed.push(structuredClone(next));
        await session.commit(next);
      }
      await session.close();
      const rows = await storedRows(store, 'grows');
      expect(rows).toHaveLength(120);
      for (const row of rows) expect((row.whole === null) !== (row.change === null)).toBe(true);
      const whole = rows.filter((row) => row.whole !== null);
      // A whole checkpoint first, then again each time the changes since outweigh it: a few, not one per commit.
      expect(rows[0]?.whole).not.toBeNull();
      expect(whole.length).toBeGreaterThanOrEqual(3);
      expect(whole.length).toBeLessThan(12);
      for (const row of rows) if (row.change !== null) expect(row.change).toBeLessThan(1000 + 200); // one item and the commit's own fields
      // Read back exactly, key order included, from anywhere in the chain, and the run as its last commit left it.
      for (const seq of [1, 2, 60, 119, 120]) {
        const kept = await store.checkpointAt('grows', seq);
        expect(JSON.stringify(kept.checkpoint)).toBe(JSON.stringify(committed[seq - 1]));
        expect(kept.journalCount).toBe(seq);
      }
      expect(JSON.stringify((await store.read('grows')).snapshot)).toBe(JSON.stringify(committed.at(-1)?.snapshot));
      // A takeover's first row is whole, and the run reads as the newer driver left it.
      const next = await store.open('grows');
      expect(JSON.stringify(next.record.snapshot)).toBe(JSON.stringify(committed.at(-1)?.snapshot));
      await next.commit(checkpoint({ activeMs: 5, snapshot: { status: 'active', value: 'later', context: { items } } }));
      await next.close();
      expect((await storedRows(store, 'grows')).at(-1)?.whole).not.toBeNull();
      expect((await store.read('grows')).snapshot?.['value']).toBe('later');
    } finally {
      await store.end();
    }
  });

  it('reads a run written before deltas, whose run row holds the latest checkpoint and no seq for it', async () => {
    const store = makeStore();
    try {
      const session = await store.create(meta('older'));
      await session.commit(checkpoint({ activeMs: 1 }));
      await session.commit(checkpoint({ activeMs: 2 }));
      await session.close();
      // As an earlier release left it: every history row whole, the run's row the latest, no checkpoint_seq.
      const s = `"${store.schema}"`;
      const latest = JSON.stringify(checkpoint({ activeMs: 2 }));
      await sql(localPostgresUrl, `UPDATE ${s}.checkpoints SET checkpoint = $1::json, delta = NULL WHERE run_id = 'older' AND seq = 2`, [latest]);
      await sql(localPostgresUrl, `UPDATE ${s}.runs SET checkpoint = $1::json, checkpoint_seq = NULL WHERE run_id = 'older'`, [latest]);
      expect((await store.read('older')).activeMs).toBe(2);
      expect((await store.checkpointAt('older', 1)).checkpoint.activeMs).toBe(1);
      const next = await store.open('older');
      await next.commit(checkpoint({ activeMs: 3 }));
      await next.close();
      expect((await store.read('older')).activeMs).toBe(3);
    } finally {
      await store.end();
    }
  });

  it('refuses a run whose change rows were damaged, naming it, and leaves it untouched', async () => {
    const store = makeStore();
    try {
      const session = await store.create(meta('damaged'));
      for (let i = 1; i <= 4; i++) await session.commit(checkpoint({ activeMs: i, snapshot: { status: 'active', value: 'step', context: { i, pad: 'x'.repeat(400) } } }));
      await session.close();
      const rows = await storedRows(store, 'damaged');
      const changed = rows.find((row) => row.change !== null);
      expect(changed).toBeDefined();
      await sql(localPostgresUrl, `UPDATE "${store.schema}".checkpoints SET delta = '[7]' WHERE run_id = 'damaged' AND seq = $1`, [changed?.seq]);
      await expect(store.read('damaged')).rejects.toThrow(CorruptRunError);
      await expect(store.read('damaged')).rejects.toThrow(/cannot be rebuilt/);
      await expect(store.checkpointAt('damaged', 4)).rejects.toThrow(CorruptRunError);
      await expect(store.open('damaged')).rejects.toThrow(CorruptRunError);
      const { rows: runRows } = await sql(localPostgresUrl, `SELECT epoch, holder FROM "${store.schema}".runs WHERE run_id = 'damaged'`);
      expect(runRows[0]).toMatchObject({ epoch: '1', holder: null }); // the refused open claimed nothing
    } finally {
      await store.end();
    }
  });
});
