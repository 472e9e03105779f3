// A queue URL (`redis://user:pw@host:6379/0?prefix=harness`) read into BullMQ's connection options, credentials masked.
import { scrubUrl } from '../../util/secrets.ts';

/** What a queue URL gives: the Redis connection, the key prefix of the queue, and the URL as people may see it. */
export interface QueueTarget {
  /** The URL without our own parameters, handed to the Redis client (ioredis parses host, port, db, auth, TLS). */
  redisUrl: string;
  /** BullMQ's key prefix: every key of the queue starts with it (default `harness`). */
  prefix: string;
  /** The URL with any password replaced by `***`. */
  location: string;
}

const schemes = ['redis:', 'rediss:'];

/** `redis://***@host/0`: credentials never reach a message. */
export function maskQueueUrl(url: string): string {
  return scrubUrl(url);
}

/** Null when `url` is not a Redis URL we can use; the caller words the refusal. */
export function parseQueueUrl(url: string): QueueTarget | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!schemes.includes(parsed.protocol) || parsed.hostname === '') return null;
  const prefix = parsed.searchParams.get('prefix') ?? 'harness';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) return null;
  parsed.searchParams.delete('prefix');
  const redisUrl = parsed.toString();
  return { redisUrl, prefix, location: maskQueueUrl(url) };
}
