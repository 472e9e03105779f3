// The page's own files (vanilla HTML, JS, CSS in ./page/): served from disk, nothing from the internet.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { baseHeaders } from './http.ts';

const pageDir = new URL('./page/', import.meta.url);

/** URL path → file and type. Only these are served: no path from a request ever reaches the file system. */
const files: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/diagram.js': { file: 'diagram.js', type: 'text/javascript; charset=utf-8' },
  '/agents.js': { file: 'agents.js', type: 'text/javascript; charset=utf-8' },
  '/render.js': { file: 'render.js', type: 'text/javascript; charset=utf-8' },
  '/calls.js': { file: 'calls.js', type: 'text/javascript; charset=utf-8' },
  '/runs.js': { file: 'runs.js', type: 'text/javascript; charset=utf-8' },
  '/history.js': { file: 'history.js', type: 'text/javascript; charset=utf-8' },
  '/evals.js': { file: 'evals.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export function isPageFile(path: string): boolean {
  return Object.hasOwn(files, path);
}

export async function sendPageFile(res: ServerResponse, path: string): Promise<void> {
  const entry = files[path];
  if (!entry) throw new Error(`not a page file: ${path}`);
  const body = await readFile(new URL(entry.file, pageDir));
  res.writeHead(200, { ...baseHeaders, 'content-type': entry.type, 'content-length': body.length });
  res.end(body);
}
