// Loads a stored version into this process: its package imports pointed at the process's own copies, imported by hash.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { VersionError } from './errors.ts';
import { ownPrefix, ownUrl, packageUrl } from './root.ts';

/** Where linked versions are written to be imported: content-addressed, so any process may share and reuse them. */
export const linkDir = join(tmpdir(), 'xstate-llm-harness-versions');

/** Every import of the stored code goes to an absolute URL; one no copy here can satisfy is a clear refusal. */
function pointImports(hash: string): Plugin {
  return {
    name: 'version-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const url = args.path.startsWith(ownPrefix + 'src/') || args.path.startsWith(ownPrefix + 'dist/') ? ownUrl(args.path) : packageUrl(args.path);
        if (url === undefined) {
          return { errors: [{ text: `version ${hash.slice(0, 12)} imports ${args.path}, which cannot be found from this process's harness` }] };
        }
        return { path: url, external: true };
      });
    },
  };
}

/** The stored code with its imports made absolute for this process: the text that is imported. */
async function linkedCode(hash: string, code: string): Promise<string> {
  try {
    const result = await build({
      stdin: { contents: code, loader: 'js', sourcefile: `version-${hash.slice(0, 12)}.mjs` },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      plugins: [pointImports(hash)],
    });
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error('esbuild wrote nothing');
    return output.text;
  } catch (error) {
    const detail = error instanceof Error && 'errors' in error && Array.isArray(error.errors)
      ? error.errors.map((m: { text?: unknown }) => String(m.text)).join('; ')
      : String(error);
    throw new VersionError(`cannot load version ${hash.slice(0, 12)}: ${detail}`);
  }
}

/** How long a linked file nobody loaded stays: every load touches its file, so only versions no process runs go. */
const keepLinkedMs = 30 * 24 * 3600_000;
/** A temp file this old was left by a process that died between its write and its rename. */
const keepTempMs = 3600_000;

/**
 * Removes linked files no process loaded for `keepLinkedMs`, and temp files left by crashed writes, from `dir`. Run
 * once per process, in the background: a version removed here is linked again by whoever loads it next.
 */
export async function sweepLinked(dir: string, now = Date.now()): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // not made yet, or unreadable: nothing of ours to remove
  }
  for (const name of names) {
    const keep = name.endsWith('.tmp') ? keepTempMs : name.endsWith('.mjs') ? keepLinkedMs : undefined;
    if (keep === undefined) continue;
    const file = join(dir, name);
    try {
      if (now - (await stat(file)).mtimeMs <= keep) continue;
      await rm(file, { force: true });
      removed += 1;
    } catch {
      // another process removed or replaced it meanwhile
    }
  }
  return removed;
}

let swept = false;

/** Written beside its peers under its own hash, whole or not at all (temp file, then rename); touched when reused. */
async function linkFile(code: string): Promise<string> {
  if (!swept) {
    swept = true;
    void sweepLinked(linkDir);
  }
  const file = join(linkDir, `${createHash('sha256').update(code).digest('hex')}.mjs`);
  if (existsSync(file)) {
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // in use: a sweep leaves it alone (gone meanwhile: rewritten below)
    if (existsSync(file)) return file;
  }
  await mkdir(linkDir, { recursive: true });
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, code);
  await rename(temp, file);
  return file;
}

/** How many loads of a version failed in this process: the next one imports it under a URL of its own. */
const failures = new Map<string, number>();
/** Versions loaded (or loading) in this process, by hash: one copy of each version's module, any number of versions. */
const loaded = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The module of a stored version, evaluated once per process per hash. A failed load is forgotten, and retried under
 * a fresh URL (Node keeps a failed module's error for its URL), so a worker never keeps a failure.
 */
export function importVersion(hash: string, code: string): Promise<Record<string, unknown>> {
  let loading = loaded.get(hash);
  if (loading === undefined) {
    loading = (async () => {
      if (createHash('sha256').update(code).digest('hex') !== hash) throw new VersionError(`version ${hash.slice(0, 12)} as stored does not match its hash: it was changed or damaged`);
      const url = pathToFileURL(await linkFile(await linkedCode(hash, code)));
      const attempt = failures.get(hash) ?? 0;
      if (attempt > 0) url.searchParams.set('attempt', String(attempt));
      try {
        const mod: Record<string, unknown> = await import(url.href);
        return mod;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new VersionError(`cannot load version ${hash.slice(0, 12)}: ${reason}`, reason);
      }
    })();
    loaded.set(hash, loading);
    loading.catch(() => {
      loaded.delete(hash);
      failures.set(hash, (failures.get(hash) ?? 0) + 1);
    });
  }
  return loading;
}
