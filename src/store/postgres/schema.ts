// The run store's tables in PostgreSQL: their DDL, created idempotently inside the schema a store is given.
import { HarnessError } from '../../errors.ts';

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema as a quoted identifier; validated because an identifier cannot be a query parameter. */
export function quoteSchema(schema: string): string {
  if (!schemaPattern.test(schema)) {
    throw new HarnessError('INVALID_CONFIG', `invalid PostgreSQL schema ${JSON.stringify(schema)}: use lower-case letters, digits and '_'`);
  }
  return `"${schema}"`;
}

/**
 * What the runtime stored is kept as `json`, its exact text, not `jsonb`: jsonb reorders object keys and refuses
 * strings holding U+0000, and the runtime hashes restored values (a model request's messages, tool arguments in any
 * key order) to recognise a journaled call, so a reordered snapshot would pay for a call again. The `json` text is
 * never looked into by a query (PostgreSQL's json operators also fail on U+0000); what listings need is in `summary`.
 *
 * Statements run in one transaction under an advisory lock: `IF NOT EXISTS` alone races when two processes start on
 * an empty database at once (both pass the check, one fails on the catalog's unique index).
 */
export function schemaStatements(schema: string): string[] {
  const s = quoteSchema(schema);
  return [
    `SELECT pg_advisory_xact_lock(hashtext('xstate-llm-harness schema ' || ${literal(schema)}))`,
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.runs (
      run_id text PRIMARY KEY,
      meta json NOT NULL,
      checkpoint json NOT NULL,
      summary jsonb NOT NULL,
      status text NOT NULL,
      epoch bigint NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      wake_at timestamptz,
      cancel_requested boolean NOT NULL DEFAULT false,
      holder text,
      held_until timestamptz,
      history_seq bigint NOT NULL DEFAULT 0
    )`,
    // Newest first is how runs are listed; runs due to wake are what a worker asks for.
    `CREATE INDEX IF NOT EXISTS runs_newest ON ${s}.runs (created_at DESC, run_id DESC)`,
    `CREATE INDEX IF NOT EXISTS runs_wake ON ${s}.runs (wake_at) WHERE wake_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${s}.journal (
      run_id text NOT NULL REFERENCES ${s}.runs ON DELETE CASCADE,
      call_key text NOT NULL,
      epoch bigint NOT NULL,
      entry json NOT NULL,
      seq bigserial NOT NULL,
      PRIMARY KEY (run_id, call_key, epoch)
    )`,
    `CREATE INDEX IF NOT EXISTS journal_order ON ${s}.journal (run_id, seq)`,
    `CREATE TABLE IF NOT EXISTS ${s}.timeline (
      run_id text NOT NULL REFERENCES ${s}.runs ON DELETE CASCADE,
      seq bigserial NOT NULL,
      entry json NOT NULL,
      PRIMARY KEY (run_id, seq)
    )`,
    // Every checkpoint committed (a run's history): a row per commit, its seq counted in runs.history_seq by the same
    // fenced statement. status and state are copies for listing a history without reading any snapshot.
    // Tables made before the history have no history_seq; asked first, because ALTER TABLE locks the table even when
    // IF NOT EXISTS finds the column there.
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = ${literal(schema)} AND table_name = 'runs' AND column_name = 'history_seq') THEN
         ALTER TABLE ${s}.runs ADD COLUMN history_seq bigint NOT NULL DEFAULT 0;
       END IF;
     END $$`,
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      run_id text NOT NULL REFERENCES ${s}.runs ON DELETE CASCADE,
      seq bigint NOT NULL,
      at timestamptz NOT NULL,
      journal_count integer NOT NULL,
      status text NOT NULL,
      state json,
      checkpoint json NOT NULL,
      PRIMARY KEY (run_id, seq)
    )`,
    // The version each kept checkpoint was written under, for listing a history without reading its checkpoints (the
    // json text is never looked into: see above). Tables made before versions lack the column.
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = ${literal(schema)} AND table_name = 'checkpoints' AND column_name = 'version') THEN
         ALTER TABLE ${s}.checkpoints ADD COLUMN version text;
       END IF;
     END $$`,
    // Kept checkpoints as changes: a history row holds the checkpoint whole or a delta against the row before it (a
    // session's first row is whole); the run's row keeps the last whole one and its seq. Runs written before deltas
    // have no checkpoint_seq (NULL): their row's checkpoint is the latest, at history_seq.
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = ${literal(schema)} AND table_name = 'checkpoints' AND column_name = 'delta') THEN
         ALTER TABLE ${s}.checkpoints ADD COLUMN delta json;
         ALTER TABLE ${s}.checkpoints ALTER COLUMN checkpoint DROP NOT NULL;
       END IF;
       IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = ${literal(schema)} AND table_name = 'runs' AND column_name = 'checkpoint_seq') THEN
         ALTER TABLE ${s}.runs ADD COLUMN checkpoint_seq bigint;
       END IF;
     END $$`,
    // Workflow versions, one row per code hash, shared by every run on that code (runs name theirs by hash).
    `CREATE TABLE IF NOT EXISTS ${s}.versions (
      hash text PRIMARY KEY,
      version json NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  ];
}

/** A SQL string literal; only ever given a schema name that passed `quoteSchema`. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
