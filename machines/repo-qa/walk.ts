// The files under a directory for repo-qa's list and search tools: directories and regular files only; symlinks that
// lead out (or into a loop) are skipped, never followed.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside, type Inside } from './confine.ts';

/** Directories no question is about. */
const skipped = new Set(['.git', 'node_modules']);

export interface Entry extends Inside {
  dir: boolean;
}

/** What a symlink inside the directory points at, if it may be listed: a directory or a regular file inside. */
async function linkTarget(root: string, rel: string): Promise<{ real: string; dir: boolean } | null> {
  const target = await resolveInside(root, rel).catch(() => null);
  if (!target) return null;
  const info = await stat(target.real);
  return info.isDirectory() || info.isFile() ? { real: target.real, dir: info.isDirectory() } : null;
}

/**
 * Every directory and regular file under `start` (inside `root`), depth first, sorted, at most `limit` of them. FIFOs,
 * sockets and devices are left out. A symlink is listed only when it resolves inside the directory to a directory or
 * a regular file; a link to a directory is listed, not entered (no cycles, no second copy of the tree).
 */
export async function walk(root: string, start: Inside, limit: number): Promise<{ entries: Entry[]; truncated: boolean }> {
  const entries: Entry[] = [];
  const visit = async (dir: Inside): Promise<boolean> => {
    const items = (await readdir(dir.real, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const item of items) {
      if (skipped.has(item.name)) continue;
      if (entries.length >= limit) return false;
      const rel = dir.rel === '.' ? item.name : `${dir.rel}/${item.name}`;
      if (item.isSymbolicLink()) {
        const target = await linkTarget(root, rel);
        if (target) entries.push({ real: target.real, rel, dir: target.dir });
      } else if (item.isDirectory()) {
        const inside = { real: join(dir.real, item.name), rel };
        entries.push({ ...inside, dir: true });
        if (!(await visit(inside))) return false;
      } else if (item.isFile()) {
        entries.push({ real: join(dir.real, item.name), rel, dir: false });
      }
    }
    return true;
  };
  const complete = await visit(start);
  return { entries, truncated: !complete };
}
