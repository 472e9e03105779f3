// Following a run store's changes: run files through watch.ts, any other store (PostgreSQL) by polling its listing.
import { FileStore, type RunListing, type RunStore } from '../store/index.ts';
import { watchRuns, type RunWatcher } from './watch.ts';

export interface FollowOptions {
  /** How often the listing is read (and the file watcher's fallback poll). Default 1000 ms. */
  pollMs?: number;
}

export interface RunFollower extends RunWatcher {
  /** Settles once the follower knows what exists, so a change after it is reported (never rejects). */
  ready: Promise<void>;
}

/** Calls `onChange(runId)` when a run appears, changes or goes: file watching for a FileStore, else `pollRuns`. */
export function followRuns(store: RunStore, onChange: (runId: string) => void, options: FollowOptions = {}): RunFollower {
  if (!(store instanceof FileStore)) return pollRuns(store, onChange, options);
  return Object.assign(watchRuns(store.dir, onChange, options), { ready: Promise.resolve() });
}

/** What tells one version of a run from the next in a listing: every commit moves `updatedAt` (to the ms), and more. */
function versions(listing: RunListing): Map<string, string> {
  const seen = new Map<string, string>();
  for (const run of listing.runs) seen.set(run.runId, [run.updatedAt, run.status, run.calls, run.tokens, run.activeMs, run.flags.length].join(' '));
  for (const bad of listing.unreadable) seen.set(bad.file, `unreadable ${bad.reason}`);
  return seen;
}

/**
 * Reads `store.list()` every `pollMs` and reports each run whose `updatedAt` or status moved, that appeared, or that
 * went. The first read only learns what exists. One read at a time; a failed read (the database away) is retried at
 * the next tick, and reports nothing.
 */
export function pollRuns(store: RunStore, onChange: (runId: string) => void, options: FollowOptions = {}): RunFollower {
  const pollMs = options.pollMs ?? 1000;
  let known: Map<string, string> | null = null;
  let reading = false;
  let closed = false;

  const poll = async (): Promise<void> => {
    if (reading || closed) return;
    reading = true;
    try {
      const now = versions(await store.list());
      if (closed) return;
      if (known !== null) {
        for (const [runId, version] of now) if (known.get(runId) !== version) onChange(runId);
        for (const runId of known.keys()) if (!now.has(runId)) onChange(runId);
      }
      known = now;
    } catch {
      /* the store is out of reach: the next tick tries again */
    } finally {
      reading = false;
    }
  };

  const ready = poll();
  const timer = setInterval(() => void poll(), pollMs);
  timer.unref();
  return {
    ready,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
