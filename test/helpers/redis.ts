// Redis for tests: the local server (if one answers), a fresh key prefix per test, cleanup of its keys, and throwaway
// servers to kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { probeRedis } from '../../src/worker/queue/queue.ts';
import { parseQueueUrl } from '../../src/worker/queue/url.ts';

/** The shared server of the test machine; HARNESS_TEST_REDIS_URL points elsewhere. */
export const localRedisUrl = process.env.HARNESS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why no server answers at `url`, or null when one does. */
export async function redisMissing(url = localRedisUrl): Promise<string | null> {
  const target = parseQueueUrl(url);
  return target ? probeRedis(target, 2_000) : `not a Redis URL: ${url}`;
}

/** A key prefix no other test uses. */
export function freshPrefix(): string {
  return `harness_test_${randomBytes(6).toString('hex')}`;
}

/** The queue URL of `prefix` on `url`. */
export function queueUrl(prefix: string, url = localRedisUrl): string {
  const parsed = new URL(url);
  parsed.searchParams.set('prefix', prefix);
  return parsed.toString();
}

/** Deletes every key under `prefix:`. */
export async function dropPrefix(prefix: string, url = localRedisUrl): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL): with no persistence, every job it held is gone, as after a crash of a cache box. */
  crash(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Kills it (if running) and deletes its directory. */
  remove(): Promise<void>;
}

/** A redis-server of its own on a random port of 127.0.0.1, no persistence, for tests that must kill the queue. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'harness-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let log = '';

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    server = child;
    const deadline = Date.now() + 20_000;
    while ((await redisMissing(url)) !== null) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`throwaway Redis did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function crash(): Promise<void> {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  await start();
  return {
    url,
    port,
    crash,
    start,
    async remove() {
      await crash();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
