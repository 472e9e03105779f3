// repo-qa's read-only tools — list_files, read_file (numbered lines), search (file:line matches) — confined to the
// directory (see confine.ts), a model-given regular expression matched off the event loop.
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { grepLines, grepOffThread, literalPattern, tool, type ToolContext } from '../../src/index.ts';
import { directoryInside, readInside, realRoot, resolveInside } from './confine.ts';
import { walk } from './walk.ts';

/** What the tools need from the step's input. */
export interface RepoInput {
  dir: string;
}

type Ctx = ToolContext<RepoInput>;

const maxListed = 500;
const maxSearched = 5000;
const maxMatches = 100;
/** Text one search reads at most: it crosses to the matching thread by copy. */
const maxSearchBytes = 16 * 1024 * 1024;

export const listFiles = tool({
  name: 'list_files',
  description: 'Lists the files and directories under a path of the repository (directories end with "/").',
  input: z.object({ path: z.string().default('.').describe('a directory, relative to the repository root') }),
  timeoutMs: 20_000,
  run: async ({ path }, ctx: Ctx) => {
    const root = await realRoot(ctx.input.dir);
    const { entries, truncated } = await walk(root, await directoryInside(root, path), maxListed);
    const lines = entries.map((entry) => (entry.dir ? `${entry.rel}/` : entry.rel));
    return [...lines, ...(truncated ? [`… (first ${maxListed} entries only: list a subdirectory)`] : [])].join('\n') || '(empty)';
  },
});

export const readFileTool = tool({
  name: 'read_file',
  description: 'Reads a text file of the repository; each line is prefixed with its number ("12: …").',
  input: z.object({
    path: z.string().min(1).describe('the file, relative to the repository root'),
    startLine: z.number().int().min(1).optional(),
    endLine: z.number().int().min(1).optional(),
  }),
  timeoutMs: 20_000,
  run: async ({ path, startLine, endLine }, ctx: Ctx) => {
    const lines = (await readInside(await realRoot(ctx.input.dir), path)).text.split('\n');
    const from = startLine ?? 1;
    const to = Math.min(endLine ?? lines.length, lines.length);
    return lines.slice(from - 1, to).map((line, i) => `${from + i}: ${line}`).join('\n');
  },
});

/** The readable files a search covers: `path` itself if it is a file, else the files under it, up to the byte bound. */
async function searchedFiles(root: string, path: string, signal: AbortSignal): Promise<{ files: { name: string; text: string }[]; cut: boolean }> {
  const start = await resolveInside(root, path);
  if (!(await stat(start.real)).isDirectory()) {
    const file = await readInside(root, path);
    return { files: [{ name: file.rel, text: file.text }], cut: false };
  }
  const { entries, truncated } = await walk(root, start, maxSearched);
  const files: { name: string; text: string }[] = [];
  let bytes = 0;
  for (const entry of entries) {
    signal.throwIfAborted(); // the call ended (deadline, stop): read no further
    if (entry.dir) continue;
    // Refused files (too large, swapped for a FIFO since the listing) are left out of a search.
    const file = await readInside(root, entry.rel).catch(() => null);
    if (!file) continue;
    bytes += file.text.length;
    if (bytes > maxSearchBytes) return { files, cut: true };
    files.push({ name: entry.rel, text: file.text });
  }
  return { files, cut: truncated };
}

export const search = tool({
  name: 'search',
  description: 'Searches the repository\'s text files for a substring (or a regular expression); returns "file:line: text".',
  input: z.object({
    pattern: z.string().min(1),
    regex: z.boolean().default(false).describe('treat pattern as a JavaScript regular expression'),
    path: z.string().default('.').describe('a directory (or a file) to search under'),
  }),
  timeoutMs: 20_000,
  run: async ({ pattern, regex, path }, ctx: Ctx) => {
    const { files, cut } = await searchedFiles(await realRoot(ctx.input.dir), path, ctx.signal);
    const request = { pattern: regex ? pattern : literalPattern(pattern), files, maxMatches };
    // A model-given expression may backtrack for hours: it runs in a worker thread that the call's deadline ends.
    const { matches, truncated } = regex ? await grepOffThread(request, { signal: ctx.signal }) : grepLines(request);
    const lines = matches.map((m) => `${m.name}:${m.line}: ${m.text.trim().slice(0, 200)}`);
    if (truncated) lines.push(`… (first ${maxMatches} matches only)`);
    if (cut) lines.push('… (only part of the tree was searched: search a subdirectory)');
    return lines.length > 0 ? lines.join('\n') : 'no matches';
  },
});

export const repoTools = [listFiles, readFileTool, search];
