// What every benchmark is given (quick or full), and the process-level helpers they share: temp dirs, GC, progress.
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchOptions {
  /** A reduced run for a smoke check: fewer iterations, 1,000 instead of 10,000 where sizes matter. */
  quick: boolean;
}

/** A fresh directory under os.tmpdir(); benchmarks never write into the repository. */
export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `harness-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Full collections when the process runs with --expose-gc (bench/index.ts starts benchmarks that way). */
export async function collectGarbage(): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

/** Progress goes to stderr: with --json, stdout carries the result object alone. */
export function progress(bench: string, message: string): void {
  process.stderr.write(`  [${bench}] ${message}\n`);
}

export const pause = (msDelay: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, msDelay));

const filesystems: Record<number, string> = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

/** Where run files go and on what file system: a checkpoint on tmpfs costs a fraction of one on a disk. */
export function describeTmp(): string {
  try {
    const { type } = statfsSync(tmpdir());
    return `${tmpdir()} on ${filesystems[type] ?? `file system 0x${type.toString(16)}`}`;
  } catch {
    return tmpdir();
  }
}
