// Where runs live and what dispatches them: --store / HARNESS_STORE (postgres://…), --queue / HARNESS_QUEUE (redis://…).
import { PostgresStore, type PostgresStoreOptions } from '../store/postgres/store.ts';
import { maskUrl } from '../store/postgres/url.ts';
import { parseQueueUrl, type QueueTarget } from '../worker/queue/url.ts';
import { UsageError } from './command.ts';
import type { CliIO } from './command.ts';

/** The flags of the URL configuration, for a command to spread into its parseFlags options beside `storeFlags`. */
export const urlFlags = {
  store: { type: 'string' },
  queue: { type: 'string' },
} as const;

/** Their help lines, to go with `urlFlags`. */
export const urlFlagsHelp = `  --store <url>        postgres://user:pw@host/db[?schema=s]: runs in PostgreSQL (default: $HARNESS_STORE)
  --queue <url>        redis://host:6379[?prefix=p]: the BullMQ queue of \`harness worker --queue\` (default:
                       $HARNESS_QUEUE)`;

/** The PostgreSQL store as commands use it: `dir` names where runs live in listings, as a FileStore's does. */
export class UrlStore extends PostgresStore {
  get dir(): string {
    return this.location;
  }
}

/** The flag if given (it must not be empty), else the environment variable if set and not blank. */
function chosen(flag: string | undefined, name: string, env: CliIO['env'], variable: string): string | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError(`--${name} must not be empty`);
    return flag.trim();
  }
  return env[variable]?.trim() || undefined;
}

/** The run store's URL: --store, else HARNESS_STORE; undefined: run files in the snapshots directory, as always. */
export const storeUrlOf = (flag: string | undefined, env: CliIO['env']) => chosen(flag, 'store', env, 'HARNESS_STORE');

/** The queue's URL: --queue, else HARNESS_QUEUE; undefined: no queue (the embedded worker polls the store). */
export const queueUrlOf = (flag: string | undefined, env: CliIO['env']) => chosen(flag, 'queue', env, 'HARNESS_QUEUE');

/**
 * A PostgresStore for `postgres://user:pw@host:5432/db[?schema=name]` (`schema`: where its tables live, default
 * `harness`). Nothing is asked of the server here: a store out of reach is reported by the first command that uses
 * it, as STORE_UNAVAILABLE naming the URL with its password masked (exit 2).
 */
export function postgresStoreFor(url: string, options: Omit<PostgresStoreOptions, 'url' | 'schema'> = {}): UrlStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('the run store must be a postgres:// URL; this one cannot be parsed');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`the run store must be a postgres:// URL, got ${maskUrl(url)}`);
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(`schema "${schema}" in ${maskUrl(url)}: lower-case letters, digits and '_' only`);
  }
  parsed.searchParams.delete('schema');
  return new UrlStore({ ...options, url: parsed.toString(), ...(schema !== undefined ? { schema } : {}) });
}

/** The store, its server asked now: an unreachable one is one clear STORE_UNAVAILABLE line (exit 2). */
export async function connectStore(url: string, options: Omit<PostgresStoreOptions, 'url' | 'schema'> = {}): Promise<UrlStore> {
  const store = postgresStoreFor(url, options);
  try {
    await store.ensureSchema();
  } catch (error) {
    await store.end().catch(() => undefined);
    throw error;
  }
  return store;
}

/** The queue's Redis: `redis://[user:pw@]host:6379[/db][?prefix=name]` (`prefix`: BullMQ's keys, default `harness`). */
export function queueTargetFor(url: string): QueueTarget {
  const target = parseQueueUrl(url);
  if (!target) throw new UsageError('the queue must be a redis:// (or rediss://) URL with a host, and a prefix of letters, digits, _ . -');
  return target;
}
