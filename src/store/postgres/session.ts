// One driver's session on a PostgreSQL run: fenced appends and commits, and the lease it renews while it lives.
import { applyCheckpoint, checkpointOf, extendTimeline, metaOf } from '../assemble.ts';
import { DeltaChain } from '../delta-chain.ts';
import { storedMeta } from '../versions.ts';
import { FencedError } from '../errors.ts';
import { Journal } from '../journal.ts';
import type { RunRecord, StoredJournalEntry, TimelineEntry } from '../record.ts';
import type { Checkpoint, RunMeta, RunSession } from '../types.ts';
import type { Db } from './db.ts';
import { epochOf, summaryJson } from './rows.ts';

export interface SessionContext {
  db: Db;
  /** The quoted schema the tables live in. */
  s: string;
  leaseMs: number;
  /** Who holds the run, as other processes see it in RunLockedError. */
  holder: string;
}

/** Through a JSON round trip, as the database will store it: the session's record never aliases a caller's object. */
function json<T>(value: T): { text: string; copy: T } {
  const text = JSON.stringify(value) ?? 'null';
  return { text, copy: JSON.parse(text) };
}

export class PostgresSession implements RunSession {
  readonly runId: string;
  readonly epoch: number;
  readonly record: RunRecord;
  readonly #context: SessionContext;
  readonly #journal: Journal;
  readonly #heartbeat: NodeJS.Timeout;
  /** This session's history rows: whole first, then changes (a takeover's first row is whole again). */
  readonly #chain = new DeltaChain();
  #beating = false;
  /** Writes run one at a time, in the order they were asked for, as the runtime expects of every store. */
  #queue: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(context: SessionContext, record: RunRecord) {
    this.#context = context;
    this.record = record;
    this.runId = record.runId;
    this.epoch = record.epoch;
    this.#journal = new Journal();
    // The record's journal array is the Journal's own, so appends keep `record.journal` current in place.
    for (const entry of record.journal) this.#journal.put(entry);
    this.record.journal = this.#journal.entries;
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(1, Math.floor(context.leaseMs / 3)));
    this.#heartbeat.unref(); // the lease must never keep a finished process alive
  }

  append(entry: StoredJournalEntry): Promise<void> {
    return this.#write(async () => {
      const { text, copy } = json<StoredJournalEntry>({ ...entry, epoch: this.epoch });
      // FOR SHARE makes the check and the insert one step against a takeover: an open that bumps the epoch waits for
      // this insert, or this insert waits for it and then finds the epoch changed and inserts nothing.
      // Within one epoch a rewritten key keeps the later entry, as the in-memory Journal does.
      const { rowCount } = await this.#context.db.query(
        `INSERT INTO ${this.#context.s}.journal (run_id, call_key, epoch, entry)
         SELECT r.run_id, $2, r.epoch, $4::json FROM ${this.#context.s}.runs r
          WHERE r.run_id = $1 AND r.epoch = $3 FOR SHARE
         ON CONFLICT (run_id, call_key, epoch) DO UPDATE SET entry = EXCLUDED.entry`,
        [this.runId, entry.key, this.epoch, text],
      );
      if (rowCount === 0) throw await this.#fenced();
      this.#journal.put(copy);
    });
  }

  /**
   * One fenced statement: the run's row, its timeline rows and its history row. The history row holds the checkpoint
   * whole or what changed since this session's previous one (see DeltaChain); the run's row keeps the last whole one
   * and its seq, so the latest is that plus the changes after it, and a commit's bytes follow the size of its change.
   */
  commit(checkpoint: Checkpoint, timeline: readonly TimelineEntry[] = []): Promise<void> {
    return this.#write(async () => {
      const kept = checkpointOf(checkpoint);
      const link = this.#chain.next(kept);
      const entries = JSON.stringify(timeline);
      const s = this.#context.s;
      let rows: { updated_at: Date }[];
      try {
        ({ rows } = await this.#context.db.query<{ updated_at: Date }>(
          `WITH cp AS (
             UPDATE ${s}.runs
                SET checkpoint = coalesce($3::json, checkpoint),
                    checkpoint_seq = CASE WHEN $3::json IS NULL THEN checkpoint_seq ELSE history_seq + 1 END,
                    summary = $7::jsonb, status = $4, wake_at = to_timestamp($5::float8 / 1000),
                    updated_at = now(), history_seq = history_seq + 1
              WHERE run_id = $1 AND epoch = $2
             RETURNING updated_at, history_seq
           ), tl AS (
             INSERT INTO ${s}.timeline (run_id, entry)
             SELECT $1, t.entry FROM cp, json_array_elements($6::json) WITH ORDINALITY AS t(entry, n) ORDER BY t.n
           ), hs AS (
             INSERT INTO ${s}.checkpoints (run_id, seq, at, journal_count, status, state, checkpoint, delta, version)
             SELECT $1, cp.history_seq, cp.updated_at, $8, $4, $9::json, $3::json, $11::json, $10 FROM cp
           )
           SELECT updated_at FROM cp`,
          [
            this.runId,
            this.epoch,
            link.whole ? link.json : null,
            kept.status,
            kept.wakeAt ?? null,
            entries,
            summaryJson(this.record, kept),
            this.#journal.entries.length,
            JSON.stringify(kept.snapshot?.['value'] ?? null),
            kept.version ?? null,
            link.whole ? null : link.json,
          ],
        ));
      } catch (error) {
        this.#chain.restart(); // the statement may have committed before the error reached us
        throw error;
      }
      const row = rows[0];
      if (row === undefined) throw await this.#fenced();
      this.#chain.written(link);
      // The session's record is kept as the runtime gave it (as the file store does): its JSON is what was stored.
      applyCheckpoint(this.record, { ...kept, epoch: this.epoch, updatedAt: row.updated_at.toISOString() });
      extendTimeline(this.record.timeline, timeline);
    });
  }

  migrate(hash: string, definition: unknown, version?: string): Promise<void> {
    return this.#write(async () => {
      // The whole meta is rewritten from the session's copy: the stored text is never edited in place (see schema.ts).
      const workflow = { ...this.record.workflow, hash, definition, ...(version !== undefined ? { version } : {}) };
      const meta = json<RunMeta>(storedMeta(metaOf({ ...this.record, workflow })));
      const { rowCount } = await this.#context.db.query(`UPDATE ${this.#context.s}.runs SET meta = $3::json WHERE run_id = $1 AND epoch = $2`, [
        this.runId,
        this.epoch,
        meta.text,
      ]);
      if (rowCount === 0) throw await this.#fenced();
      this.record.workflow = { ...meta.copy.workflow, definition: workflow.definition };
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#queue;
    try {
      // Only where the epoch is still ours: a stale session must not free the run a newer one holds.
      await this.#context.db.query(`UPDATE ${this.#context.s}.runs SET holder = NULL, held_until = NULL WHERE run_id = $1 AND epoch = $2`, [
        this.runId,
        this.epoch,
      ]);
    } catch {
      // The database is out of reach: the lease runs out by itself, and closing must not hide why the driver stopped.
    }
  }

  /** Keeps the lease alive; a failure is left to the next write to report, and a lost lease to the epoch check. */
  async #renew(): Promise<void> {
    if (this.#beating || this.#closing) return;
    this.#beating = true;
    try {
      await this.#context.db.query(
        `UPDATE ${this.#context.s}.runs SET held_until = now() + $3::float8 * interval '1 millisecond'
          WHERE run_id = $1 AND epoch = $2 AND holder = $4`,
        [this.runId, this.epoch, this.#context.leaseMs, this.#context.holder],
      );
    } catch {
      // out of reach for now: the next write says so
    } finally {
      this.#beating = false;
    }
  }

  /** The refusal for a write that found the run's epoch moved on (or the run gone). */
  async #fenced(): Promise<FencedError> {
    const { rows } = await this.#context.db.query<{ epoch: string }>(`SELECT epoch FROM ${this.#context.s}.runs WHERE run_id = $1`, [this.runId]);
    const now = rows[0] === undefined ? 'the run is gone' : `epoch ${epochOf(rows[0].epoch, this.runId)}`;
    return new FencedError(`run ${this.runId}: taken over by a newer driver (${now}, this session ${this.epoch}); nothing was written`);
  }

  #write(operation: () => Promise<void>): Promise<void> {
    if (this.#closing) return Promise.reject(new FencedError(`run ${this.runId}: this session is closed`));
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined); // one refused write must not refuse the ones after it
    return result;
  }
}
