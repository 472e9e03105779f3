// Two lock holders in separate PID namespaces (containers sharing a host name): a live holder's lock is never taken
// because its pid is not visible; it is taken once the holder's lease lapses, and the holder is fenced when it wakes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './helpers.ts';

const contender = fileURLToPath(new URL('./lock-contender.ts', import.meta.url));

/** Why separate PID namespaces cannot be made here, or null when `unshare` makes them. */
function unshareMissing(): string | null {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (probe.error) return `unshare cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `unshare --pid --fork --mount-proc fails here (${probe.stderr.trim() || `exit ${probe.status}`}; it needs root or user namespaces)`;
  return null;
}

const missing = unshareMissing();
if (missing !== null) console.log(`PID-namespace lock test skipped: ${missing}`);

interface Contender {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line starting with `event`. */
  next(event: string, ms?: number): Promise<string>;
}

/**
 * Starts `lock-contender.ts <mode>` as pid 1's child in a PID namespace of its own, in its own process group (so the
 * whole namespace can be frozen with one signal). `padding` processes are started first, so its pid in there is one
 * the other namespace does not have, as a container's pid is not one of another container's.
 */
function contend(mode: 'hold' | 'take', path: string, staleMs: number, padding: number): Contender {
  const node = [process.execPath, '--import', 'tsx', contender, mode, path, String(staleMs)].map((arg) => `'${arg}'`).join(' ');
  const script = `for i in $(seq ${padding}); do /bin/true; done; ${node}; exit $?`;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'bash', '-c', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  const waiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const next = (event: string, ms = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = lines.find((line) => line.startsWith(`${event} `));
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(look);
      };
      const timer = setTimeout(() => reject(new Error(`${mode}: no "${event}" line within ${ms} ms; saw ${JSON.stringify(lines)}; stderr ${stderr}`)), ms);
      look();
    });
  return { child, lines, next };
}

const started: Contender[] = [];
afterEach(() => {
  for (const { child } of started.splice(0)) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGCONT');
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  removeTempDirs();
});

describe.skipIf(missing !== null)('RunLock across PID namespaces', { timeout: 180_000 }, () => {
  it('never takes a live holder lock whose pid it cannot see, takes it once the lease lapses, and fences the holder', async () => {
    const path = join(tempDir(), 'lock');
    const staleMs = 1500;
    const holder = contend('hold', path, staleMs, 100);
    started.push(holder);
    await holder.next('held');

    const taker = contend('take', path, staleMs, 0);
    started.push(taker);
    // Refused again and again for over twice the lease: the holder's heartbeat keeps renewing it.
    const refusedLate = async (): Promise<void> => {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(taker.lines.filter((line) => line.startsWith('taken ')), 'the live holder\'s lock was taken').toEqual([]);
        const refusals = taker.lines.filter((line) => line.startsWith('refused '));
        const last = refusals.at(-1);
        if (last !== undefined && Number(last.split(' ')[1]) > 2 * staleMs) return;
        if (taker.child.exitCode !== null) throw new Error(`the taker ended: ${JSON.stringify(taker.lines)}`);
      }
    };
    await refusedLate();
    expect(taker.lines.find((line) => line.startsWith('refused '))).toMatch(/is being driven by process \d+ on /);

    // Freeze the holder's whole namespace: its heartbeat stops, its lease lapses, the taker takes the lock.
    const holderGroup = holder.child.pid;
    if (holderGroup === undefined) throw new Error('the holder has no pid');
    process.kill(-holderGroup, 'SIGSTOP');
    await taker.next('taken');
    // Woken up, the holder finds the lock is no longer its own: its next write would be refused.
    process.kill(-holderGroup, 'SIGCONT');
    expect(await holder.next('fenced')).toMatch(/another driver took the run/);
  });
});
