// Where run files live for a command: --snapshots DIR, else HARNESS_SNAPSHOTS, else ./snapshots (relative to cwd).
import { accessSync, constants, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { FileStore } from '../store/index.ts';
import type { CliIO } from './command.ts';
import { SettingError, UsageError } from './command.ts';
import { postgresStoreFor, storeUrlOf, type UrlStore } from './store-url.ts';
import { configOf, effectiveEnv } from './config.ts';

export interface StoreChoice {
  /** Run files in a directory, or the PostgreSQL store named by --store / HARNESS_STORE. */
  store: FileStore | UrlStore;
  /** The --snapshots value as typed, repeated in printed follow-up commands; undefined when it came from env/default. */
  flag: string | undefined;
  /** The setting that named a PostgreSQL store (`--store`, `HARNESS_STORE`), for refusals; undefined for run files. */
  storeLabel?: string;
}

/** What a command does with the directory: `read` commands (ls, show) never create or write anything in it. */
export type SnapshotsAccess = 'read' | 'write';

export function snapshotsDir(flag: string | undefined, io: Pick<CliIO, 'env' | 'cwd'>): string {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--snapshots must not be empty');
  const chosen = flag ?? (effectiveEnv(io).HARNESS_SNAPSHOTS?.trim() || 'snapshots');
  return resolve(io.cwd, chosen);
}

// Kernel views, not storage: Node's recursive mkdirSync can loop forever on a path under /proc.
const pseudoFileSystems = ['/proc', '/sys'];
const under = (path: string, root: string) => path === root || path.startsWith(`${root}${sep}`);

/** The directory and each of its ancestors, root first. */
function lineage(dir: string): string[] {
  const chain = [dir];
  for (let parent = dirname(dir); parent !== chain[0]; parent = dirname(parent)) chain.unshift(parent);
  return chain;
}

/**
 * Refuses a snapshots directory that cannot hold run files, before anything is created: a file (or a file among its
 * ancestors), a dangling symbolic link, a place under /proc or /sys, or (for `write`) a place this process cannot
 * write. A directory that does not exist yet is fine: `read` commands list nothing, `write` ones create it later.
 * Each ancestor is examined here rather than left to mkdirSync's recursion, which is what loops on /proc.
 */
export function checkSnapshotsDir(dir: string, access: SnapshotsAccess, label: string, what = 'run files'): void {
  const refuse = (problem: string): never => {
    throw new SettingError(`${label} ${dir}: ${problem}`);
  };
  const pseudo = (path: string) => pseudoFileSystems.find((root) => under(path, root));
  const lexical = pseudo(dir);
  if (lexical) refuse(`${what} cannot live under ${lexical}`);

  let deepest = '/';
  for (const path of lineage(dir)) {
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break; // from here down it will be created
      return refuse(`${path} cannot be examined (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (stats.isSymbolicLink()) {
      try {
        stats = statSync(path);
      } catch {
        const what = path === dir ? 'a symbolic link' : `${path} is a symbolic link`;
        return refuse(`${what} to ${readlinkSync(path)}, which does not exist`);
      }
    }
    if (!stats.isDirectory()) refuse(path === dir ? 'not a directory' : `${path} is not a directory`);
    deepest = path;
  }
  // A symbolic link may lead into /proc or /sys: judge where the existing part of the path really is.
  const real = realpathSync(deepest);
  const linked = pseudo(real);
  if (linked) refuse(`${what} cannot live under ${linked} (it leads to ${real})`);
  if (access === 'write') {
    try {
      accessSync(deepest, constants.W_OK);
    } catch {
      refuse(deepest === dir ? 'not writable' : `${deepest} is not writable`);
    }
  }
}

export function openStore(
  values: { snapshots?: string | undefined; fsync?: boolean | undefined; store?: string | undefined },
  io: CliIO,
  access: SnapshotsAccess = 'write',
): StoreChoice {
  const url = storeUrlOf(values.store, io.env);
  if (url !== undefined) {
    if (values.snapshots !== undefined) throw new UsageError('give --store or --snapshots, not both');
    return { store: postgresStoreFor(url.url, {}, url.label), flag: undefined, storeLabel: url.label };
  }
  const dir = snapshotsDir(values.snapshots, io);
  const label = values.snapshots !== undefined ? '--snapshots' : io.env.HARNESS_SNAPSHOTS?.trim() ? 'HARNESS_SNAPSHOTS' : configOf(io.cwd).values.snapshots ? `${configOf(io.cwd).file} snapshots` : 'snapshots directory';
  checkSnapshotsDir(dir, access, label);
  return { store: new FileStore({ dir, fsync: values.fsync === true }), flag: values.snapshots };
}

/** Flags every command that touches runs accepts. */
export const storeFlags = {
  snapshots: { type: 'string' },
  store: { type: 'string' },
} as const;
