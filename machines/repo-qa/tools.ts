// repo-qa's read-only tools — list_files, read_file (numbered lines), search (file:line matches) — confined to the directory.
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { tool, type ToolContext } from '../../src/steps/index.ts';
import { maxFileBytes, readableFile, realRoot, resolveInside } from './confine.ts';
import { walk } from './walk.ts';

/** What the tools need from the step's input. */
export interface RepoInput {
  dir: string;
}

type Ctx = ToolContext<RepoInput>;

const maxListed = 500;
const maxMatches = 100;

export const listFiles = tool({
  name: 'list_files',
  description: 'Lists the files and directories under a path of the repository (directories end with "/").',
  input: z.object({ path: z.string().default('.').describe('a directory, relative to the repository root') }),
  run: async ({ path }, ctx: Ctx) => {
    const root = await realRoot(ctx.input.dir);
    const start = await resolveInside(root, path);
    if (!(await stat(start.real)).isDirectory()) throw new Error(`"${path}" is not a directory`);
    const { entries, truncated } = await walk(root, start, maxListed);
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
  run: async ({ path, startLine, endLine }, ctx: Ctx) => {
    const file = await readableFile(await realRoot(ctx.input.dir), path);
    const lines = (await readFile(file.real, 'utf8')).split('\n');
    const from = startLine ?? 1;
    const to = Math.min(endLine ?? lines.length, lines.length);
    return lines.slice(from - 1, to).map((line, i) => `${from + i}: ${line}`).join('\n');
  },
});

export const search = tool({
  name: 'search',
  description: 'Searches the repository\'s text files for a substring (or a regular expression); returns "file:line: text".',
  input: z.object({
    pattern: z.string().min(1),
    regex: z.boolean().default(false).describe('treat pattern as a JavaScript regular expression'),
    path: z.string().default('.').describe('a directory to search under'),
  }),
  run: async ({ pattern, regex, path }, ctx: Ctx) => {
    const root = await realRoot(ctx.input.dir);
    const expression = regex ? new RegExp(pattern) : null;
    const matches = (line: string): boolean => (expression ? expression.test(line) : line.includes(pattern));
    const { entries } = await walk(root, await resolveInside(root, path), 5000);
    const found: string[] = [];
    for (const entry of entries) {
      if (entry.dir) continue;
      const info = await stat(entry.real);
      if (info.size > maxFileBytes) continue;
      const lines = (await readFile(entry.real, 'utf8')).split('\n');
      for (const [i, line] of lines.entries()) {
        if (!matches(line)) continue;
        found.push(`${entry.rel}:${i + 1}: ${line.trim().slice(0, 200)}`);
        if (found.length >= maxMatches) return [...found, `… (first ${maxMatches} matches only)`].join('\n');
      }
    }
    return found.length > 0 ? found.join('\n') : 'no matches';
  },
});

export const repoTools = [listFiles, readFileTool, search];
