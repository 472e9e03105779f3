// Confinement of repo-qa's tools: a path the model gives is resolved inside the question's directory, or refused.
import { realpath, stat } from 'node:fs/promises';
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

/**
 * Resolves `path` (relative to the directory, or absolute inside it) with every symlink followed, and refuses it —
 * by throwing, which the agent shows the model as `error: …` — when it uses `..`, lies elsewhere, or leads elsewhere
 * through a symlink. Nothing outside the directory is ever opened.
 */
export async function resolveInside(root: string, path: string): Promise<Inside> {
  if (path.split(/[\\/]/).includes('..')) throw new Error(`refused: "${path}" uses "..": give a path inside the directory`);
  const lexical = isAbsolute(path) ? resolve(path) : join(root, path);
  if (!contains(root, lexical)) throw new Error(`refused: "${path}" is outside the directory`);
  let real: string;
  try {
    real = await realpath(lexical);
  } catch {
    throw new Error(`not found: "${path}"`);
  }
  if (!contains(root, real)) throw new Error(`refused: "${path}" leads outside the directory (a symlink)`);
  return { real, rel: relative(root, real).split(sep).join('/') || '.' };
}

/** A file inside the directory that may be read: a regular file no larger than `maxFileBytes`. */
export async function readableFile(root: string, path: string): Promise<Inside> {
  const inside = await resolveInside(root, path);
  const info = await stat(inside.real);
  if (!info.isFile()) throw new Error(`"${path}" is not a file`);
  if (info.size > maxFileBytes) throw new Error(`refused: "${path}" is ${info.size} bytes, over the ${maxFileBytes / 1024} KiB limit`);
  return inside;
}
