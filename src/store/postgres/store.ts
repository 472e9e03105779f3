// The PostgreSQL run store: runs shared by many processes, claimed by lease, every write fenced by the run's epoch.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { assertJournalCovers, checkpointNotFound, initialCheckpoint, metaOf } from '../assemble.ts';
import { RunExistsError, RunLockedError, RunNotFoundError } from '../errors.ts';
import type { RunRecord, RunSummary } from '../record.ts';
import { assertRunId } from '../run-id.ts';
import type { HistoricCheckpoint, HistoryEntry, RunHead, RunListing, RunMeta, RunSession, RunStore, StoredVersion } from '../types.ts';
import { assertVersionHash, checkVersion, storedMeta, VersionCache, VersionNotFoundError, withDefinition } from '../versions.ts';
import { PostgresCancelPoller } from './cancel-poller.ts';
import { Db, type Queryable } from './db.ts';
import {
  epochOf,
  historicCheckpointOf,
  historyEntryOfRow,
  historyQuery,
  recordOf,
  headOf,
  headQuery,
  recordQuery,
  summaryJson,
  summaryOf,
  summaryQuery,
  type HeadRow,
  type HistoryRow,
  type KeptRow,
  type RecordRow,
  type SummaryRow,
} from './rows.ts';
import { quoteSchema } from './schema.ts';
import { PostgresSession, type SessionContext } from './session.ts';
import { scrubUrl } from '../../util/secrets.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Where the tables live (created on first use); `harness` by default. Lower-case letters, digits, `_`. */
  schema?: string;
  /** How long a session's hold outlives its last heartbeat (default 30 s); renewed every third of it. */
  leaseMs?: number;
  /** How long to wait for a connection before StoreUnavailableError (default 5 s). */
  connectTimeoutMs?: number;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

export class PostgresStore implements RunStore {
  readonly location: string;
  readonly schema: string;
  readonly leaseMs: number;
  readonly #db: Db;
  readonly #s: string;
  readonly #cancels: PostgresCancelPoller;
  readonly #versions = new VersionCache();
  /** The hashes this store has put or read: stored for good. */
  readonly #stored = new Set<string>();

  constructor(options: PostgresStoreOptions) {
    this.location = scrubUrl(options.url);
    this.schema = options.schema ?? 'harness';
    this.#s = quoteSchema(this.schema);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.#db = new Db({
      url: options.url,
      location: this.location,
      schema: this.schema,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      maxConnections: options.maxConnections ?? 10,
    });
    this.#cancels = new PostgresCancelPoller(this.#db, this.#s);
  }

  /** A store whose tables exist: the server is asked now, so a bad URL fails here rather than at the first run. */
  static async connect(url: string, options: Omit<PostgresStoreOptions, 'url'> = {}): Promise<PostgresStore> {
    const store = new PostgresStore({ ...options, url });
    try {
      await store.ensureSchema();
    } catch (error) {
      await store.end();
      throw error;
    }
    return store;
  }

  /** Creates the schema and tables if missing; idempotent, and done by every other method on first use. */
  ensureSchema(): Promise<void> {
    return this.#db.ready();
  }

  /** Stops the cancel poller and closes the pool; open sessions should be closed first. */
  async end(): Promise<void> {
    this.#cancels.stop();
    await this.#db.end();
  }

  async create(meta: RunMeta): Promise<RunSession> {
    const runId = assertRunId(meta.runId);
    const context = this.#context();
    const kept = metaOf(meta);
    const start = initialCheckpoint();
    const createdAt = Number.isNaN(Date.parse(kept.createdAt)) ? new Date().toISOString() : kept.createdAt;
    const row = await this.#db.transaction(async (client) => {
      const inserted = await client.query(
        `INSERT INTO ${this.#s}.runs (run_id, meta, checkpoint, checkpoint_seq, summary, status, epoch, created_at, updated_at, holder, held_until)
         VALUES ($1, $2::json, $3::json, 0, $4::jsonb, $5, 1, $6, now(), $7, now() + $8::float8 * interval '1 millisecond')
         ON CONFLICT (run_id) DO NOTHING`,
        [runId, JSON.stringify(storedMeta(kept)), JSON.stringify(start), summaryJson(kept, start), start.status, createdAt, context.holder, this.leaseMs],
      );
      if (inserted.rowCount === 0) throw new RunExistsError(`run ${runId} already exists in ${this.location}`);
      return this.#fetch(client, runId);
    });
    return new PostgresSession(context, await withDefinition(recordOf(row, runId), (hash) => this.getVersion(hash)));
  }

  /**
   * Claims the run and bumps its epoch in one statement, so of two processes opening it at once exactly one wins;
   * the record is read and checked in the same transaction, and a run that cannot be read is refused unclaimed.
   */
  async open(id: string): Promise<RunSession> {
    const runId = assertRunId(id);
    const context = this.#context();
    const record = await this.#db.transaction(async (client) => {
      const claimed = await client.query(
        `UPDATE ${this.#s}.runs
            SET epoch = epoch + 1, holder = $2, held_until = now() + $3::float8 * interval '1 millisecond', updated_at = now()
          WHERE run_id = $1 AND (holder IS NULL OR held_until < now())`,
        [runId, context.holder, this.leaseMs],
      );
      if (claimed.rowCount === 0) throw await this.#refusal(client, runId);
      const record = recordOf(await this.#fetch(client, runId), runId);
      // Rows deleted by hand would make the run pay again for those calls: refused, and the claim rolled back with it.
      const { rows } = await client.query<{ seq: string; journal_count: number }>(
        `SELECT seq, journal_count FROM ${this.#s}.checkpoints WHERE run_id = $1 ORDER BY seq DESC LIMIT 1`,
        [runId],
      );
      const last = rows[0];
      if (last) assertJournalCovers(runId, `${this.#s}.journal`, record.journal.length, epochOf(last.seq, runId), last.journal_count);
      return record;
    });
    return new PostgresSession(context, await withDefinition(record, (hash) => this.getVersion(hash)));
  }

  async read(id: string): Promise<RunRecord> {
    const runId = assertRunId(id);
    const row = await this.#row(this.#db.query<RecordRow>(recordQuery(this.#s), [runId]), runId);
    return withDefinition(recordOf(row, runId), (hash) => this.getVersion(hash));
  }

  async readHead(id: string): Promise<RunHead> {
    const runId = assertRunId(id);
    const row = await this.#row(this.#db.query<HeadRow>(headQuery(this.#s), [runId]), runId);
    return withDefinition(headOf(row, runId), (hash) => this.getVersion(hash));
  }

  async list(): Promise<RunListing> {
    const { rows } = await this.#db.query<SummaryRow>(summaryQuery(this.#s));
    const runs: RunSummary[] = [];
    const unreadable: RunListing['unreadable'] = [];
    for (const row of rows) {
      try {
        runs.push(summaryOf(row));
      } catch (error) {
        unreadable.push({ file: row.run_id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { runs, unreadable };
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const runId = assertRunId(id);
    await this.#assertExists(runId);
    const { rows } = await this.#db.query<HistoryRow>(historyQuery(this.#s), [runId]);
    return rows.map((row) => historyEntryOfRow(row, runId));
  }

  /** A kept checkpoint: the last whole row at or before `seq`, with the changes after it up to `seq` replayed. */
  async checkpointAt(id: string, seq: number): Promise<HistoricCheckpoint> {
    const runId = assertRunId(id);
    const { rows } = await this.#db.query<KeptRow & { history_seq: string }>(
      `SELECT r.history_seq, c.seq, c.checkpoint, c.delta, c.journal_count FROM ${this.#s}.runs r
         LEFT JOIN ${this.#s}.checkpoints c ON c.run_id = r.run_id AND c.seq <= $2 AND c.seq >= coalesce(
           (SELECT max(w.seq) FROM ${this.#s}.checkpoints w WHERE w.run_id = r.run_id AND w.seq <= $2 AND w.checkpoint IS NOT NULL), 0)
        WHERE r.run_id = $1
        ORDER BY c.seq`,
      [runId, Number.isSafeInteger(seq) ? seq : -1],
    );
    const first = rows[0];
    if (first === undefined) throw new RunNotFoundError(`no run ${runId} in ${this.location}`);
    const last = rows.at(-1);
    if (last?.seq === null || last === undefined || Number(last.seq) !== seq) throw checkpointNotFound(runId, seq, Number(first.history_seq));
    return historicCheckpointOf(rows, runId);
  }

  async requestCancel(id: string): Promise<void> {
    const runId = assertRunId(id);
    const { rowCount } = await this.#db.query(`UPDATE ${this.#s}.runs SET cancel_requested = true WHERE run_id = $1`, [runId]);
    if (rowCount === 0) throw new RunNotFoundError(`no run ${runId} in ${this.location}`);
  }

  watchCancel(runId: string, cancel: () => void): () => void {
    return this.#cancels.watch(assertRunId(runId), cancel);
  }

  async clearCancel(id: string): Promise<void> {
    await this.#db.query(`UPDATE ${this.#s}.runs SET cancel_requested = false WHERE run_id = $1`, [assertRunId(id)]);
  }

  async putVersion(version: StoredVersion): Promise<void> {
    const hash = assertVersionHash(version.hash, this.location);
    // Every run start puts its version: once this store has seen it stored, the code is not sent again (versions never
    // change once stored).
    if (this.#stored.has(hash)) return;
    await this.#db.query(`INSERT INTO ${this.#s}.versions (hash, version) VALUES ($1, $2::json) ON CONFLICT (hash) DO NOTHING`, [hash, JSON.stringify(version)]);
    this.#stored.add(hash);
  }

  getVersion(hash: string): Promise<StoredVersion> {
    return this.#versions.get(hash, async (wanted) => {
      const read = await this.#readVersion(wanted);
      this.#stored.add(wanted);
      return read;
    });
  }

  async #readVersion(hash: string): Promise<StoredVersion> {
    const { rows } = await this.#db.query<{ version: unknown }>(`SELECT version FROM ${this.#s}.versions WHERE hash = $1`, [assertVersionHash(hash, this.location)]);
    const row = rows[0];
    if (row === undefined) throw new VersionNotFoundError(`no version ${hash.slice(0, 12)} in ${this.location}`);
    return checkVersion(row.version, hash, this.location);
  }

  #fetch(client: Queryable, runId: string): Promise<RecordRow> {
    return this.#row(client.query<RecordRow>(recordQuery(this.#s), [runId]), runId);
  }

  /** The run's row a query of it found: RunNotFoundError when there is none. */
  async #row<R>(query: Promise<{ rows: R[] }>, runId: string): Promise<R> {
    const row = (await query).rows[0];
    if (row === undefined) throw new RunNotFoundError(`no run ${runId} in ${this.location}`);
    return row;
  }

  async #assertExists(runId: string): Promise<void> {
    const { rowCount } = await this.#db.query(`SELECT 1 FROM ${this.#s}.runs WHERE run_id = $1`, [runId]);
    if (rowCount === 0) throw new RunNotFoundError(`no run ${runId} in ${this.location}`);
  }

  /** Why a claim found no row to take: no such run, or a live lease held by someone else. */
  async #refusal(client: Queryable, runId: string): Promise<Error> {
    const { rows } = await client.query<{ holder: string | null; held_until: Date | null }>(
      `SELECT holder, held_until FROM ${this.#s}.runs WHERE run_id = $1`,
      [runId],
    );
    const row = rows[0];
    if (row === undefined) return new RunNotFoundError(`no run ${runId} in ${this.location}`);
    const until = row.held_until ? ` until ${row.held_until.toISOString()} unless renewed` : '';
    return new RunLockedError(`run ${runId} is being driven by ${row.holder ?? 'another session'} (lease${until}) in ${this.location}`, row.held_until?.getTime());
  }

  /** Each session gets its own holder name: two sessions of one process must not renew each other's lease. */
  #context(): SessionContext {
    const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    return { db: this.#db, s: this.#s, leaseMs: this.leaseMs, holder };
  }
}
