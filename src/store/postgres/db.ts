// The store's connection pool: every query goes through here, so a database out of reach is always one named error.
import pg from 'pg';
import { HarnessError } from '../../errors.ts';
import { StoreUnavailableError } from '../errors.ts';
import { schemaStatements } from './schema.ts';

export interface DbOptions {
  url: string;
  /** The URL with credentials masked, for messages. */
  location: string;
  schema: string;
  connectTimeoutMs: number;
  maxConnections: number;
}

/**
 * SQLSTATE classes that mean "the database is not there for us" rather than "this statement is wrong": connection
 * exceptions, shutdown, no resources, refused login, no such database.
 */
const unavailableStates = /^(08|57P|53|28|3D)/;

/** What pg says, without a SQLSTATE, when a connection fails, times out or drops under a query. */
const lostConnection = /connection terminated|connection error|timeout exceeded when trying to connect|not queryable|client was closed/i;

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof HarnessError) return false;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string') {
    if (/^E[A-Z]+$/.test(code)) return true; // a socket error: ECONNREFUSED, ECONNRESET, ETIMEDOUT…
    if (/^[0-9A-Z]{5}$/.test(code)) return unavailableStates.test(code);
  }
  return lostConnection.test(error.message);
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

export class Db {
  readonly #pool: pg.Pool;
  readonly #options: DbOptions;
  #ready: Promise<void> | undefined;

  constructor(options: DbOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      max: options.maxConnections,
      keepAlive: true,
      // Idle connections must not keep a finished CLI process alive.
      allowExitOnIdle: true,
    });
    // Without a listener, an idle connection dropped by a dying server would crash the process; the pool discards
    // it and the next query reports the outage.
    this.#pool.on('error', () => undefined);
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.ready();
    return this.#guard(() => this.#pool.query<R>(text, values));
  }

  /** Runs `work` in one transaction on one connection; it commits only if `work` resolves. */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    await this.ready();
    return this.#inTransaction(work);
  }

  /** Creates the schema on first use; a failure is not remembered, so the next call tries again. */
  ready(): Promise<void> {
    this.#ready ??= this.#inTransaction(async (client) => {
      for (const statement of schemaStatements(this.#options.schema)) await client.query(statement);
    }).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  async #inTransaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#guard(() => this.#pool.connect());
    // The pool listens for errors on idle connections only: one dropped while checked out, between two statements,
    // would raise an unhandled 'error' and end the process. The statement in flight (or the next) reports it instead.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone; the server rolls back by itself
      }
      throw this.#translate(error);
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /** No cause attached: a driver error may carry connection details we do not want printed next to a masked URL. */
  #translate(error: unknown): unknown {
    if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
    const reason = error instanceof Error && error.message !== '' ? error.message : String(error);
    return new StoreUnavailableError(`the PostgreSQL run store at ${this.#options.location} is unavailable: ${reason}`);
  }
}
