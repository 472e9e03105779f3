// One driver per run: an exclusive lock file held by a lease (a heartbeat renews it), with an epoch-style fence.
import { closeSync, fstatSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { FencedError, RunLockedError } from './errors.ts';

/** What a lock file says of its holder. Fields after `token` are missing from locks written by earlier releases. */
const lockOwnerSchema = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  acquiredAt: z.string(),
  /** Unique per acquisition: filesystems reuse a deleted lock's inode at once, so only the content tells locks apart. */
  token: z.string().optional(),
  /** The holder's kernel boot (`/proc/sys/kernel/random/boot_id`): a pid means nothing across reboots or machines. */
  bootId: z.string().optional(),
  /** The holder's PID namespace (`/proc/self/ns/pid`): a pid means nothing in another container. */
  pidNamespace: z.string().optional(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

export interface LockOptions {
  /** The lease: a lock whose heartbeat is older than this is stale and may be taken. Default 30 s. */
  staleMs?: number;
}

/** Where this process runs, as far as a pid can be compared: null where /proc cannot say (not Linux). */
export interface ProcessPlace {
  bootId: string;
  pidNamespace: string;
}

let place: ProcessPlace | null | undefined;

export function processPlace(): ProcessPlace | null {
  if (place === undefined) {
    try {
      place = { bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), pidNamespace: readlinkSync('/proc/self/ns/pid') };
    } catch {
      place = null;
    }
  }
  return place;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A holder known to be gone before its lease runs out: only when its pid is provably one of ours to ask about — the
 * same host name, the same kernel boot and the same PID namespace — and no process has it. Anywhere else (another
 * container sharing the host name, another machine, a lock of an earlier release that does not say) a pid that is not
 * visible proves nothing, and the lease alone decides.
 */
function provablyGone(owner: LockOwner | null): boolean {
  const here = processPlace();
  if (owner === null || here === null) return false;
  if (owner.hostname !== hostname() || owner.bootId !== here.bootId || owner.pidNamespace !== here.pidNamespace) return false;
  return owner.pid !== process.pid && !pidAlive(owner.pid);
}

const shown = (ms: number): string => (ms < 10_000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`);

function readOwner(path: string): { owner: LockOwner | null; raw: string; mtimeMs: number } | null {
  try {
    const raw = readFileSync(path, 'utf8');
    const { mtimeMs } = statSync(path);
    let owner: LockOwner | null = null;
    try {
      const parsed = lockOwnerSchema.safeParse(JSON.parse(raw));
      owner = parsed.success ? parsed.data : null;
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

  /**
   * The lock file, kept open while held: a newer driver takes a stale lock by moving it aside and deleting it, so the
   * file this descriptor holds has no name left (nlink 0) once the run is taken; one fstat tells.
   */
  #fd: number | undefined;
  /** Set when the heartbeat finds the lock file holding another driver's content. */
  #lost = false;

  private constructor(path: string, raw: string, staleMs: number, fd: number) {
    this.#path = path;
    this.#raw = raw;
    this.#fd = fd;
    this.#heartbeat = setInterval(() => this.#touch(), Math.max(50, Math.floor(staleMs / 3)));
    this.#heartbeat.unref();
  }

  /** Takes the lock, or a stale one; throws RunLockedError naming the live owner. */
  static acquire(path: string, runId: string, options: LockOptions = {}): RunLock {
    const staleMs = options.staleMs ?? 30_000;
    for (let tries = 0; tries < 3; tries++) {
      try {
        const fd = openSync(path, 'wx');
        const owner: LockOwner = { pid: process.pid, hostname: hostname(), acquiredAt: new Date().toISOString(), token: randomUUID(), ...processPlace() };
        const raw = JSON.stringify(owner);
        try {
          writeSync(fd, raw);
        } catch (error) {
          closeSync(fd);
          throw error;
        }
        return new RunLock(path, raw, staleMs, fd);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readOwner(path);
      if (current === null) continue; // released meanwhile: try again
      const { owner } = current;
      // The lease: the holder's heartbeat renews the file's time every third of it. Silent past it, the holder is
      // taken for gone (dead, frozen or cut off); a driver that wakes up after that is fenced at its next write.
      const silentMs = Date.now() - current.mtimeMs;
      if (silentMs <= staleMs && !provablyGone(owner)) {
        const who = owner ? `process ${owner.pid} on ${owner.hostname} (since ${owner.acquiredAt})` : 'another process';
        throw new RunLockedError(
          `run ${runId} is being driven by ${who}; wait for it to finish or stop it first (its lease was renewed ${shown(Math.max(0, silentMs))} ago and lapses ${shown(staleMs)} after a renewal)`,
        );
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

  /**
   * The fence of every write: whether the lock file this lock wrote still has a name, asked of the descriptor kept
   * open (one fstat of an inode in memory, no path lookup, no read). A takeover always deletes the file (after moving
   * it aside), and so does a person removing it. (On a network disk where a process of this same host deleted it,
   * the client may keep it under a temporary name: the heartbeat's check of the lock's content, every third of the
   * lease, fences the session from then on.)
   */
  checkHeld(): void {
    const lost = () => new FencedError(`lost the lock of ${this.#path}: another driver took the run`);
    if (this.#fd === undefined || this.#lost) throw lost();
    let links: number;
    try {
      links = fstatSync(this.#fd).nlink;
    } catch {
      throw lost();
    }
    if (links === 0) throw lost();
  }

  #touch(): void {
    try {
      this.assertHeld();
    } catch {
      this.#lost = true; // the next write reports it
      return;
    }
    try {
      const now = new Date();
      utimesSync(this.#path, now, now);
    } catch {
      /* gone since: the next write's fence reports it */
    }
  }

  release(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    try {
      this.assertHeld();
      unlinkSync(this.#path);
    } catch {
      /* not ours any more: leave the newer driver's lock alone */
    }
  }
}
