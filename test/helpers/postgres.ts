// PostgreSQL for tests: the local server (if one answers), a fresh schema per store, and throwaway servers to kill.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

/** The shared server of the test machine; HARNESS_TEST_PG_URL points elsewhere. */
export const localPostgresUrl = process.env.HARNESS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why no server answers at `url`, or null when one does. */
export async function postgresMissing(url = localPostgresUrl): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no other test file uses. */
export function freshSchema(): string {
  return `harness_test_${randomBytes(6).toString('hex')}`;
}

/** Runs statements on a short-lived connection of its own, outside any store under test. */
export async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await sql(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

const bin = '/usr/lib/postgresql/15/bin';

export interface ThrowawayPostgres {
  url: string;
  port: number;
  /** Kills the server the way a crash does (immediate shutdown: every backend gone, no checkpoint). */
  crash(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  /** Stops it (if running) and deletes its data. */
  remove(): Promise<void>;
}

/** initdb and postgres refuse to run as root: as root, run them as the postgres user. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A PostgreSQL server of its own on a random port with a temporary data directory, for tests that must kill the
 * database. Trust auth, socket in the temp directory, listening on 127.0.0.1 only; fsync off (it is thrown away).
 * `settings` are passed as `-c name=value` (they win over the defaults here, such as max_connections=30).
 */
export async function startThrowawayPostgres(settings: Record<string, string> = {}): Promise<ThrowawayPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'harness-pg-'));
  const data = join(root, 'data');
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(root, uid, gid);
  }
  const [initCommand, initArgs] = asOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  let log = '';

  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function start(): Promise<void> {
    const [command, args] = asOwner(join(bin, 'postgres'), [
      '-D', data, '-k', root, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=30',
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    server = child;
    const deadline = Date.now() + 20_000;
    while ((await postgresMissing(url)) !== null) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`throwaway PostgreSQL did not start:\n${log}`);
      await sleep(100);
    }
  }

  /** Signals the postmaster itself (runuser may not pass signals on), then waits for the process we spawned. */
  async function stop(signal: NodeJS.Signals): Promise<void> {
    const child = server;
    server = undefined;
    if (child === undefined) return;
    const pid = postmasterPid();
    if (pid !== undefined) process.kill(pid, signal);
    else child.kill(signal);
    await exited(child);
  }

  await start();
  return {
    url,
    port,
    crash: () => stop('SIGQUIT'),
    start,
    async remove() {
      await stop('SIGINT'); // fast shutdown
      rmSync(root, { recursive: true, force: true });
    },
  };
}
