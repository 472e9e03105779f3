// The order in which BullMQ hands out jobs, read from its own event stream (written atomically by its Lua scripts), and
// the one ordering fact the queue worker promises: a run already under way is never queued behind fresh work.
import { QueueEvents } from 'bullmq';
import { connectionOf, queueName } from '../../src/worker/queue/queue.ts';
import type { QueueTarget } from '../../src/worker/queue/url.ts';

export interface QueueEvent {
  event: 'waiting' | 'active';
  jobId: string;
  /** For `waiting`: where the job came from (`delayed`, `active` for a stalled job); absent for a job just added. */
  prev?: string;
}

export interface QueueLog {
  events: (QueueEvent | 'forget')[];
  /** Marks where Redis lost its jobs (a restart without persistence): nothing waits any more. */
  forget(): void;
  close(): Promise<void>;
}

/** Records every job entering the waiting state or taken by a worker, from the stream's start (none are missed). */
export async function recordQueue(target: QueueTarget): Promise<QueueLog> {
  const listener = new QueueEvents(queueName, { connection: connectionOf(target), prefix: target.prefix, lastEventId: '0-0' });
  listener.on('error', () => undefined); // a restarted Redis: the listener reconnects by itself
  const events: QueueLog['events'] = [];
  listener.on('waiting', ({ jobId, prev }) => events.push({ event: 'waiting', jobId, ...(prev !== undefined ? { prev } : {}) }));
  listener.on('active', ({ jobId }) => events.push({ event: 'active', jobId }));
  await listener.waitUntilReady();
  return { events, forget: () => events.push('forget'), close: () => listener.close() };
}

/** A fresh job handed out while jobs already under way were waiting: the inversion the queue must never make. */
export interface Inversion {
  fresh: string;
  waiting: string[];
}

export interface Order {
  inversions: Inversion[];
  /** How often a job under way entered waiting: the times the order was put to the test. */
  underWay: number;
}

/**
 * Walks the log: a job taken before (or whose run `takenBefore` says was driven, for logs cut by a Redis restart) that
 * enters waiting again — a stalled job put back, a delayed job due — is work under way until it is taken; a job taken
 * for the first time meanwhile is an inversion.
 */
export function queueOrder(events: readonly (QueueEvent | 'forget')[], takenBefore: (jobId: string) => boolean = () => false): Order {
  const seen = new Set<string>();
  const underWay = new Set<string>();
  const found: Inversion[] = [];
  let tested = 0;
  for (const e of events) {
    if (e === 'forget') {
      underWay.clear();
      continue;
    }
    if (e.event === 'waiting') {
      if ((e.prev === 'delayed' || e.prev === 'active') && (seen.has(e.jobId) || takenBefore(e.jobId))) {
        underWay.add(e.jobId);
        tested += 1;
      }
      continue;
    }
    underWay.delete(e.jobId);
    const fresh = !seen.has(e.jobId) && !takenBefore(e.jobId);
    seen.add(e.jobId);
    if (fresh && underWay.size > 0) found.push({ fresh: e.jobId, waiting: [...underWay] });
  }
  return { inversions: found, underWay: tested };
}
