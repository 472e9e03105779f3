// Where runs live and what dispatches them: --store / HARNESS_STORE (postgres://…), --queue / HARNESS_QUEUE (redis://…).
import { PostgresStore, type PostgresStoreOptions } from '../store/postgres/store.ts';
import { scrubUrl } from '../util/secrets.ts';
import { parseQueueUrl, type QueueTarget } from '../worker/queue/url.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import { SettingError, UsageError } from './command.ts';
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

/** A URL setting and where it came from (`--store`, `HARNESS_STORE`…), for the one line that refuses it. */
export interface UrlSetting {
  url: string;
  label: string;
}

/** The flag if given (it must not be empty), else the environment variable if set and not blank. */
function chosen(flag: string | undefined, name: string, env: CliIO['env'], variable: string): UrlSetting | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError(`--${name} must not be empty`);
    return { url: flag.trim(), label: `--${name}` };
  }
  const value = env[variable]?.trim();
  return value ? { url: value, label: variable } : undefined;
}

/** The run store's URL: --store, else HARNESS_STORE; undefined: run files in the snapshots directory, as always. */
export const storeUrlOf = (flag: string | undefined, env: CliIO['env']) => chosen(flag, 'store', env, 'HARNESS_STORE');

/** The queue's URL: --queue, else HARNESS_QUEUE; undefined: no queue (the embedded worker polls the store). */
export const queueUrlOf = (flag: string | undefined, env: CliIO['env']) => chosen(flag, 'queue', env, 'HARNESS_QUEUE');

/** `<label> "<url, scrubbed>" <problem>`: the one line for a URL setting that cannot be used. */
const refusal = (label: string, url: string, problem: string) => `${label} ${JSON.stringify(scrubUrl(url))} ${problem}`;

/**
 * A PostgresStore for `postgres://user:pw@host:5432/db[?schema=name]` (`schema`: where its tables live, default
 * `harness`). Nothing is asked of the server here: a store out of reach is reported by the first command that uses
 * it, as STORE_UNAVAILABLE naming the URL with its credentials scrubbed (exit 2). `label` names the setting in refusals.
 */
export function postgresStoreFor(url: string, options: Omit<PostgresStoreOptions, 'url' | 'schema'> = {}, label = 'the run store'): UrlStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SettingError(refusal(label, url, 'is not a postgres:// URL (it cannot be parsed; in a password, / ? # @ must be percent-encoded)'));
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new SettingError(refusal(label, url, 'is not a postgres:// URL'));
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new SettingError(refusal(label, url, `names schema ${JSON.stringify(schema)}: use lower-case letters, digits and '_' only`));
  }
  parsed.searchParams.delete('schema');
  return new UrlStore({ ...options, url: parsed.toString(), ...(schema !== undefined ? { schema } : {}) });
}

/**
 * Asks the store's server now: a store out of reach at first contact (refused, no such database, a login refused) is
 * one STORE_UNAVAILABLE line naming `label` (exit 2), rather than a command that starts and then retries forever.
 * An outage that begins later is the caller's to ride out. The caller still ends the store.
 */
export async function reachStore(store: UrlStore, label = 'the run store'): Promise<void> {
  try {
    await store.ensureSchema();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new StoreUnavailableError(`${label}: ${error.message}`);
    throw error;
  }
}

/** The store, its server asked now (see `reachStore`); ended again if it cannot be reached. */
export async function connectStore(url: string, options: Omit<PostgresStoreOptions, 'url' | 'schema'> = {}, label = 'the run store'): Promise<UrlStore> {
  const store = postgresStoreFor(url, options, label);
  try {
    await reachStore(store, label);
  } catch (error) {
    await store.end().catch(() => undefined);
    throw error;
  }
  return store;
}

/** The queue's Redis: `redis://[user:pw@]host:6379[/db][?prefix=name]` (`prefix`: BullMQ's keys, default `harness`). */
export function queueTargetFor(url: string, label = 'the queue'): QueueTarget {
  const target = parseQueueUrl(url);
  if (!target) throw new SettingError(refusal(label, url, 'is not a redis:// (or rediss://) URL with a host and a prefix of letters, digits, _ . -'));
  return target;
}
