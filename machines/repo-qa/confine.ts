// Confinement of repo-qa's tools, in one place: a path the model gives is resolved inside the question's directory or
// refused, and only a regular file is ever opened — a FIFO, a socket or a device is refused before it can block a read.
import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Files larger than this are refused, never read. */
export const maxFileBytes = 256 * 1024;

/** A path inside the directory: its real location, and how the model should name it (relative, `/`-separated). */
export interface Inside {
  real: string;
  rel: string;
}

/** The directory itself, resolved (symlinks followed). */
export async function realRoot(dir: string): Promise<string> {
  return realpath(resolve(dir));
}

function contains(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** What the model reads: the path as given, NUL bytes and other control characters visible. */
const shown = (path: string): string => JSON.stringify(path);

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/**
 * Resolves `path` (relative to the directory, or absolute inside it) with every symlink followed, and refuses it —
 * by throwing, which the agent shows the model as `error: …` — when it holds a NUL byte, uses `..`, lies elsewhere,
 * leads elsewhere through a symlink, or into a symlink loop. Nothing outside the directory is ever opened.
 */
export async function resolveInside(root: string, path: string): Promise<Inside> {
  if (path.includes('\0')) throw new Error(`refused: ${shown(path)} holds a NUL byte`);
  if (path.split(/[\\/]/).includes('..')) throw new Error(`refused: ${shown(path)} uses "..": give a path inside the directory`);
  const lexical = isAbsolute(path) ? resolve(path) : join(root, path);
  if (!contains(root, lexical)) throw new Error(`refused: ${shown(path)} is outside the directory`);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch (error) {
    if (hasCode(error, 'ELOOP')) throw new Error(`refused: ${shown(path)} is a symlink loop`);
    throw new Error(`not found: ${shown(path)}`);
  }
  if (!contains(root, real)) throw new Error(`refused: ${shown(path)} leads outside the directory (a symlink)`);
  return { real, rel: relative(root, real).split(sep).join('/') || '.' };
}

/** A path inside the directory that is a directory. */
export async function directoryInside(root: string, path: string): Promise<Inside> {
  const inside = await resolveInside(root, path);
  if (!(await stat(inside.real)).isDirectory()) throw new Error(`${shown(path)} is not a directory`);
  return inside;
}

// Non-blocking, so that a FIFO swapped in after the check below cannot hang the open; no symlink at the last step,
// since the real path has none left (one swapped in since is refused).
const readFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/**
 * The text of a regular file inside the directory, no larger than `maxFileBytes`. Anything else — a directory, a
 * FIFO, a socket, a device — is refused from its metadata and never opened for reading.
 */
export async function readInside(root: string, path: string): Promise<Inside & { text: string }> {
  const inside = await resolveInside(root, path);
  const refuse = (size: number | null): never => {
    if (size === null) throw new Error(`refused: ${shown(path)} is not a regular file`);
    throw new Error(`refused: ${shown(path)} is ${size} bytes, over the ${maxFileBytes / 1024} KiB limit`);
  };
  const before = await stat(inside.real);
  if (!before.isFile()) refuse(null);
  if (before.size > maxFileBytes) refuse(before.size);
  let handle: FileHandle;
  try {
    handle = await open(inside.real, readFlags);
  } catch (error) {
    if (hasCode(error, 'ELOOP') || hasCode(error, 'ENXIO')) refuse(null);
    throw new Error(`cannot read ${shown(path)}`);
  }
  try {
    const info = await handle.stat(); // what was really opened: it may have been swapped since the check
    if (!info.isFile()) refuse(null);
    if (info.size > maxFileBytes) refuse(info.size);
    return { ...inside, text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}
