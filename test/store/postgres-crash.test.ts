// PostgresStore when the database itself dies mid-run, on a throwaway server this test is free to kill.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RunLockedError, StoreUnavailableError, type RunSession } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/postgres.ts';
import { checkpoint, entry, meta, sleep, tick } from './helpers.ts';

const initdb = '/usr/lib/postgresql/15/bin/initdb';
const skip = !existsSync(initdb) && !process.env.CI;
if (skip) console.log(`PostgreSQL crash test skipped: no ${initdb} to start a throwaway server; CI is not set`);

/** Opens the run once the dead session's lease has run out (it could not be released while the server was down). */
async function openWhenFree(store: PostgresStore, runId: string): Promise<RunSession> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await store.open(runId);
    } catch (error) {
      if (!(error instanceof RunLockedError) || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe.skipIf(skip)('PostgresStore when the server dies', () => {
  let server: ThrowawayPostgres | undefined;
  afterAll(async () => {
    await server?.remove();
  });

  it('fails the next write as unavailable, and after a restart the run opens with everything committed', async () => {
    server = await startThrowawayPostgres();
    const store = new PostgresStore({ url: server.url, leaseMs: 1_000, connectTimeoutMs: 2_000 });
    try {
      const session = await store.create(meta('survivor'));
      await session.append(entry('k1'));
      await session.commit(checkpoint({ activeMs: 1 }), [tick('a')]);

      await server.crash();
      await expect(session.append(entry('k2'))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(session.commit(checkpoint({ activeMs: 2 }))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.read('survivor')).rejects.toBeInstanceOf(StoreUnavailableError);
      await session.close(); // cannot release the lease, and must not say so over the outage it already reported

      await server.start();
      const resumed = await openWhenFree(store, 'survivor');
      expect(resumed.epoch).toBe(2);
      expect(resumed.record).toMatchObject({ status: 'running', activeMs: 1 });
      expect(resumed.record.journal.map((e) => e.key)).toEqual(['k1']);
      expect(resumed.record.timeline.map((t) => t.event)).toEqual(['a']);
      await resumed.append(entry('k2'));
      await resumed.close();
      expect((await store.read('survivor')).journal.map((e) => e.key)).toEqual(['k1', 'k2']);
    } finally {
      await store.end();
    }
  });
});
