// Where run files live for a command: --snapshots DIR, else HARNESS_SNAPSHOTS, else ./snapshots (relative to cwd).
import { resolve } from 'node:path';
import { FileStore } from '../store/index.ts';
import type { CliIO } from './command.ts';
import { UsageError } from './command.ts';

export interface StoreChoice {
  store: FileStore;
  /** The --snapshots value as typed, repeated in printed follow-up commands; undefined when it came from env/default. */
  flag: string | undefined;
}

export function snapshotsDir(flag: string | undefined, io: Pick<CliIO, 'env' | 'cwd'>): string {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--snapshots must not be empty');
  const chosen = flag ?? (io.env.HARNESS_SNAPSHOTS?.trim() || 'snapshots');
  return resolve(io.cwd, chosen);
}

export function openStore(values: { snapshots?: string | undefined; fsync?: boolean | undefined }, io: CliIO): StoreChoice {
  const dir = snapshotsDir(values.snapshots, io);
  return { store: new FileStore({ dir, fsync: values.fsync === true }), flag: values.snapshots };
}

/** Flags every command that touches runs accepts. */
export const storeFlags = {
  snapshots: { type: 'string' },
} as const;
