// One driver per run: an exclusive lock file with staleness detection (dead pid or missed heartbeats).
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FencedError, RunLockedError } from './errors.ts';

export interface LockOwner {
  pid: number;
  hostname: string;
  acquiredAt: string;
  /** Unique per acquisition: filesystems reuse a deleted lock's inode at once, so only the content tells locks apart. */
  token: string;
}

export interface LockOptions {
  /** A lock whose heartbeat is older than this is stale and may be taken. Default 30 s. */
  staleMs?: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): { owner: LockOwner | null; raw: string; mtimeMs: number } | null {
  try {
    const raw = readFileSync(path, 'utf8');
    const { mtimeMs } = statSync(path);
    let owner: LockOwner | null = null;
    try {
      owner = JSON.parse(raw) as LockOwner;
    } catch {
      owner = null; // a half-written lock of a crashed process: stale by its age
    }
    return { owner, raw, mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export class RunLock {
  readonly #path: string;
  /** The exact bytes this lock wrote: the lock is ours while the file still holds them. */
  readonly #raw: string;
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(path: string, raw: string, staleMs: number) {
    this.#path = path;
    this.#raw = raw;
    this.#heartbeat = setInterval(() => this.#touch(), Math.max(50, Math.floor(staleMs / 3)));
    this.#heartbeat.unref();
  }

  /** Takes the lock, or a stale one; throws RunLockedError naming the live owner. */
  static acquire(path: string, runId: string, options: LockOptions = {}): RunLock {
    const staleMs = options.staleMs ?? 30_000;
    for (let tries = 0; tries < 3; tries++) {
      try {
        const fd = openSync(path, 'wx');
        const owner: LockOwner = { pid: process.pid, hostname: hostname(), acquiredAt: new Date().toISOString(), token: randomUUID() };
        const raw = JSON.stringify(owner);
        writeSync(fd, raw);
        closeSync(fd);
        return new RunLock(path, raw, staleMs);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readOwner(path);
      if (current === null) continue; // released meanwhile: try again
      const { owner } = current;
      const deadHere = owner !== null && owner.hostname === hostname() && owner.pid !== process.pid && !pidAlive(owner.pid);
      const silent = Date.now() - current.mtimeMs > staleMs;
      if (!deadHere && !silent) {
        const who = owner ? `process ${owner.pid} on ${owner.hostname} (since ${owner.acquiredAt})` : 'another process';
        throw new RunLockedError(`run ${runId} is being driven by ${who}; wait for it to finish or stop it first`);
      }
      // Move the stale lock aside, then make sure what we moved is what we judged stale (not a newer lock).
      const aside = `${path}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      const moved = readOwner(aside);
      if (moved && moved.raw !== current.raw) {
        try {
          renameSync(aside, path);
        } catch {
          /* the newer owner will see its lock missing at its next write and stop: fencing handles it */
        }
        throw new RunLockedError(`run ${runId} was just taken by another process`);
      }
      unlinkSync(aside);
    }
    throw new RunLockedError(`run ${runId}: could not take its lock`);
  }

  /** Throws FencedError if another driver has taken the run since this lock was acquired. */
  assertHeld(): void {
    let raw: string;
    try {
      raw = readFileSync(this.#path, 'utf8');
    } catch {
      throw new FencedError(`lost the lock of ${this.#path}: another driver took the run`);
    }
    if (raw !== this.#raw) throw new FencedError(`lost the lock of ${this.#path}: another driver took the run`);
  }

  #touch(): void {
    try {
      this.assertHeld();
      const now = new Date();
      utimesSync(this.#path, now, now);
    } catch {
      /* fenced: the next write reports it */
    }
  }

  release(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    try {
      this.assertHeld();
      unlinkSync(this.#path);
    } catch {
      /* not ours any more: leave the newer driver's lock alone */
    }
  }
}
