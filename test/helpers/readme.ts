// The ```ts blocks of README.md, for the tests that type-check them (test/readme.test.ts) and run them
// (test/package/readme-examples.test.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Snippet {
  /** README line of the snippet's first code line (1-based). */
  line: number;
  code: string;
}

/** ```ts blocks; ```ts skip-check opts a fragment out (a signature, a piece of a larger example). */
export function readmeSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts(?:\s+(.*))?$/.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) break;
    if (!(open[1] ?? '').split(/\s+/).includes('skip-check')) snippets.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return snippets;
}

export const readme = (): string => readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
