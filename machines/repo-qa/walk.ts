// The files under a directory for repo-qa's list and search tools: symlinks that lead out are skipped, never followed.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside, type Inside } from './confine.ts';

/** Directories no question is about. */
const skipped = new Set(['.git', 'node_modules']);

/**
 * Every file and directory under `start` (inside `root`), depth first, sorted, at most `limit` of them. A symlink is
 * listed only when it resolves inside the directory; one that leads out is left out silently.
 */
export async function walk(root: string, start: Inside, limit: number): Promise<{ entries: (Inside & { dir: boolean })[]; truncated: boolean }> {
  const entries: (Inside & { dir: boolean })[] = [];
  const visit = async (dir: Inside): Promise<boolean> => {
    const items = (await readdir(dir.real, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const item of items) {
      if (skipped.has(item.name)) continue;
      if (entries.length >= limit) return false;
      const rel = dir.rel === '.' ? item.name : `${dir.rel}/${item.name}`;
      let isDir = item.isDirectory();
      let inside: Inside = { real: join(dir.real, item.name), rel };
      if (item.isSymbolicLink()) {
        const target = await resolveInside(root, rel).catch(() => null);
        if (!target) continue;
        // A link to a directory is listed, not entered: no cycles, no second copy of the tree.
        inside = { real: target.real, rel };
        isDir = false;
        if ((await stat(target.real)).isDirectory()) {
          entries.push({ ...inside, dir: true });
          continue;
        }
      }
      entries.push({ ...inside, dir: isDir });
      if (isDir && !(await visit(inside))) return false;
    }
    return true;
  };
  const complete = await visit(start);
  return { entries, truncated: !complete };
}
