// Run locks: one driver per run, held by a lease its heartbeat renews; a dead pid counts only where it provably can.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FencedError, RunLockedError } from '../../src/store/errors.ts';
import { processPlace, RunLock, type LockOwner } from '../../src/store/lock.ts';
import { removeTempDirs, tempDir } from './helpers.ts';

const held: RunLock[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});
afterAll(removeTempDirs);

function acquire(path: string, staleMs?: number): RunLock {
  const lock = RunLock.acquire(path, 'run-1', staleMs === undefined ? {} : { staleMs });
  held.push(lock);
  return lock;
}

const lockPath = () => join(tempDir(), 'run-1.lock');
const hourAgo = () => new Date(Date.now() - 3_600_000);
const foreignLock = (pid: number, host = hostname(), place: object = {}) => JSON.stringify({ pid, hostname: host, acquiredAt: new Date().toISOString(), ...place });
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RunLock', () => {
  it('fences by its open file: held while the file has a name, lost once a newer driver takes it or it is removed', () => {
    const path = lockPath();
    const first = acquire(path, 50);
    expect(() => first.checkHeld()).not.toThrow();
    utimesSync(path, hourAgo(), hourAgo()); // its lease lapsed: a newer driver may take it
    const newer = acquire(path, 50);
    expect(() => first.checkHeld()).toThrow(FencedError);
    expect(() => newer.checkHeld()).not.toThrow();
    newer.release();
    expect(() => newer.checkHeld()).toThrow(FencedError);
    const again = acquire(path);
    rmSync(path);
    expect(() => again.checkHeld()).toThrow(FencedError);
  });

  it('writes its owner, refuses a second driver, and can be taken again once released', () => {
    const path = lockPath();
    const lock = acquire(path);
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    expect(owner.pid).toBe(process.pid);
    expect(owner.hostname).toBe(hostname());
    expect(owner.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => acquire(path)).toThrow(RunLockedError);
    expect(() => acquire(path)).toThrow(new RegExp(`process ${process.pid} on ${hostname()}`));
    lock.assertHeld();
    lock.release();
    const again = acquire(path);
    again.assertHeld();
  });

  it('keeps its lock fresh with a heartbeat, so it is not taken as stale', async () => {
    const path = lockPath();
    acquire(path, 600);
    const past = hourAgo();
    utimesSync(path, past, past);
    await until(() => statSync(path).mtimeMs > past.getTime() + 60_000);
    expect(() => acquire(path, 600)).toThrow(RunLockedError);
  });

  it('takes a lock whose heartbeat went silent, even from a live process', () => {
    const path = lockPath();
    writeFileSync(path, foreignLock(process.ppid));
    expect(() => acquire(path, 1000)).toThrow(new RegExp(`process ${process.ppid}`));
    const past = hourAgo();
    utimesSync(path, past, past);
    const lock = acquire(path, 1000);
    lock.assertHeld();
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockOwner).pid).toBe(process.pid);
  });

  it('takes a fresh lock of a dead process only where its pid provably means the same process as here', (ctx) => {
    const here = processPlace();
    if (here === null) return ctx.skip('no /proc here: every lock is judged by its lease alone');
    const path = lockPath();
    const pid = deadPid();
    const elsewhere: [string, string, object][] = [
      ['another host', 'some-other-host', here],
      ['another container sharing the host name', hostname(), { ...here, pidNamespace: 'pid:[1]' }],
      ['another boot', hostname(), { ...here, bootId: 'another-boot' }],
      ['a lock that does not say where its holder runs', hostname(), {}],
    ];
    for (const [where, host, place] of elsewhere) {
      writeFileSync(path, foreignLock(pid, host, place));
      expect(() => acquire(path), where).toThrow(RunLockedError); // its pid means nothing here: the lease decides
    }
    writeFileSync(path, foreignLock(pid, hostname(), here));
    acquire(path).assertHeld();
  });

  it('writes where its holder runs, so that only a driver in the same place trusts its pid', () => {
    const path = lockPath();
    acquire(path);
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    const here = processPlace();
    if (here) expect({ bootId: owner.bootId, pidNamespace: owner.pidNamespace }).toEqual(here);
    expect(owner.pidNamespace ?? 'pid:[0]').toMatch(/^pid:\[\d+\]$/);
  });

  it('judges a half-written lock by its age alone', () => {
    const path = lockPath();
    writeFileSync(path, '{"pid": 12');
    expect(() => acquire(path, 1000)).toThrow(/another process/);
    const past = hourAgo();
    utimesSync(path, past, past);
    acquire(path, 1000).assertHeld();
  });

  it('fences a driver whose lock was taken, and its release leaves the new lock alone', async () => {
    const path = lockPath();
    const older = acquire(path, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = acquire(path, 1);
    expect(() => older.assertHeld()).toThrow(FencedError);
    newer.assertHeld();
    const newerBytes = readFileSync(path, 'utf8');
    older.release();
    expect(readFileSync(path, 'utf8')).toBe(newerBytes);
    newer.assertHeld();
  });
});
