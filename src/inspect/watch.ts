// Notices run files changing in a snapshots directory, written by this process or any other.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface RunWatcher {
  close(): void;
}

export interface WatchOptions {
  /** Poll interval, the fallback for file systems where fs.watch is silent (network mounts, some containers). */
  pollMs?: number;
}

// A run is a directory `<id>/` (its history.ndjson grows with every commit), or a first-release file `<id>.json`.
const runEntry = /^([A-Za-z0-9_-]{1,64})(?:\.json)?(?:[/\\].*)?$/;

/**
 * Calls `onChange(runId)` when a run file appears, changes or disappears. fs.watch gives the news at once; a poll
 * compares inode, size and mtime of every run file so nothing is missed when it does not. Each write (temp file,
 * then rename) is reported once per distinct file version.
 */
export function watchRuns(dir: string, onChange: (runId: string) => void, options: WatchOptions = {}): RunWatcher {
  const pollMs = options.pollMs ?? 1000;
  const seen = new Map<string, string>();
  let watcher: FSWatcher | undefined;
  let closed = false;

  const versionOf = (runId: string): string | undefined => {
    // A directory changes in history.ndjson at every commit, checkpoint.json when it comes to rest or is taken, and
    // only run.json exists before its first commit.
    const stamps: string[] = [];
    for (const file of ['run.json', 'history.ndjson', 'checkpoint.json']) {
      try {
        const s = statSync(join(dir, runId, file));
        stamps.push(`${s.ino}:${s.size}:${s.mtimeMs}`);
      } catch {
        stamps.push('-'); // not written yet, or gone
      }
    }
    if (stamps[0] !== '-') return stamps.join('|');
    try {
      const s = statSync(join(dir, `${runId}.json`));
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return undefined;
    }
  };

  const check = (runId: string): void => {
    if (closed) return;
    const version = versionOf(runId);
    if (version === seen.get(runId)) return;
    if (version === undefined) seen.delete(runId);
    else seen.set(runId, version);
    onChange(runId);
  };

  const startWatch = (): void => {
    if (watcher || closed || !existsSync(dir)) return;
    try {
      watcher = watch(dir, { recursive: true }, (_event, filename) => {
        const match = filename ? runEntry.exec(filename.toString()) : null;
        if (match) check(match[1] as string);
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // the poll carries on, and retries the watch
      });
    } catch {
      watcher = undefined;
    }
  };

  const poll = (): void => {
    startWatch();
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      /* not there (yet) */
    }
    const present = new Set<string>();
    for (const file of files) {
      const match = runEntry.exec(file);
      if (!match) continue;
      present.add(match[1] as string);
      check(match[1] as string);
    }
    for (const runId of [...seen.keys()]) if (!present.has(runId)) check(runId);
  };

  // The first pass only learns what exists, so starting the watcher reports nothing.
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    const match = runEntry.exec(file);
    const version = match ? versionOf(match[1] as string) : undefined;
    if (match && version) seen.set(match[1] as string, version);
  }
  startWatch();
  const timer = setInterval(poll, pollMs);
  timer.unref();

  return {
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
