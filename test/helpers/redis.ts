// Redis for tests: the local server (if one answers), a fresh key prefix per test, and cleanup of its keys.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
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
