// The call cache on disk: one JSON file per request hash (model, messages, format, options, tools), shared by evals.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ZodType } from 'zod';
import { defaultModelConfig, formatSchema } from '../llm/index.ts';
import type { ModelResult } from '../llm/types.ts';
import { validateContent } from '../llm/validate.ts';
import type { CachedRequest, CallCache } from '../steps/call-cache.ts';
import { EvalInputError } from './errors.ts';

/** Written into a cache directory when it is made: `clear` removes only a directory that has it. */
const marker = 'HARNESS-CALL-CACHE';
const format = 1;

/** A schema's JSON Schema as text, made once per schema: a key is computed for every call of a cached run. */
const schemaTexts = new WeakMap<ZodType, string>();
function schemaText(schema: ZodType): string {
  let text = schemaTexts.get(schema);
  if (text === undefined) {
    text = JSON.stringify(formatSchema(schema));
    schemaTexts.set(schema, text);
  }
  return text;
}

/**
 * The request as the model sees it: model, messages, the format's JSON Schema, generation options (the defaults a
 * call would use filled in), tools and think. Where the call goes (host) and how long it may take are not part of it.
 */
export function cacheKey(request: CachedRequest): string {
  const { config } = request;
  const hash = createHash('sha256').update(`${format}\n${config.model ?? defaultModelConfig.model}\n`);
  hash.update(config.schema ? schemaText(config.schema) : config.json ? '"json"' : 'null');
  hash.update(`\n${config.temperature ?? defaultModelConfig.temperature}\n${config.maxTokens ?? defaultModelConfig.maxTokens}\n`);
  hash.update(`${JSON.stringify(config.options ?? null)}\n${JSON.stringify(config.think ?? null)}\n`);
  for (const tool of config.tools ?? []) hash.update(`${JSON.stringify([tool.name, tool.description])}${schemaText(tool.input)}\n`);
  return hash.update(JSON.stringify(request.messages)).digest('hex');
}

/** A reply worth keeping: the model answered (validly or not). A host's failure says nothing about the request. */
function keepable(result: ModelResult): boolean {
  return result.success || result.metadata.error?.kind === 'invalid-output';
}

function isResult(value: unknown): value is ModelResult {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'content') === 'string' && typeof Reflect.get(value, 'model') === 'string'
    && typeof Reflect.get(value, 'metadata') === 'object';
}

/** The kept reply read again under today's schema: a changed refinement judges the same words anew. */
function revalidated(result: ModelResult, request: CachedRequest): ModelResult {
  const { schema, json } = request.config;
  if ((result.toolCalls?.length ?? 0) > 0 || (!schema && !json)) return result;
  const { error: _error, issues: _issues, ...metadata } = result.metadata;
  const checked = validateContent(result.content, schema ? { schema } : {});
  if (checked.ok) return { ...result, success: true, data: checked.data, metadata };
  const first = checked.issues[0];
  const message = `${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'reply is not valid'}${checked.issues.length > 1 ? ` (+${checked.issues.length - 1} more)` : ''}`;
  const { data: _data, ...rest } = result;
  return { ...rest, success: false, metadata: { ...metadata, issues: checked.issues, error: { kind: 'invalid-output', message } } };
}

export interface CacheStats {
  /** Calls answered from the cache (not paid for). */
  hits: number;
  /** Calls the cache did not have (made, then offered to it). */
  misses: number;
  writes: number;
  /** Replies that could not be written (the calls were made and journaled all the same). */
  writeErrors: number;
}

/**
 * The call cache in a directory, shared by every eval (and process) pointed at it. Entries are written to a temp file
 * and renamed, so a reader never sees half an entry and two writers of one key leave one whole file.
 *
 * @example
 * const cache = new FileCallCache('evals/cache');
 * await runWorkflow({ store, workflow, modulePath, input, cache }); // a request seen before is answered from disk
 */
export class FileCallCache implements CallCache {
  readonly dir: string;
  readonly #stats: CacheStats = { hits: 0, misses: 0, writes: 0, writeErrors: 0 };

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(request: CachedRequest): Promise<ModelResult | undefined> {
    const key = cacheKey(request);
    let entry: unknown;
    try {
      entry = JSON.parse(readFileSync(this.#path(key), 'utf8'));
    } catch {
      this.#stats.misses += 1; // absent, or unreadable: either way the call is made and the entry written again
      return undefined;
    }
    const result: unknown = typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'result') : undefined;
    if (!isResult(result)) {
      this.#stats.misses += 1;
      return undefined;
    }
    this.#stats.hits += 1;
    return revalidated(result, request);
  }

  async put(request: CachedRequest, result: ModelResult): Promise<void> {
    if (!keepable(result)) return;
    const key = cacheKey(request);
    const path = this.#path(key);
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      if (!existsSync(join(this.dir, marker))) {
        await mkdir(this.dir, { recursive: true });
        await writeFile(join(this.dir, marker), 'Replies of model calls kept by `harness eval --cache`, one file per request hash. Safe to delete.\n');
      }
      await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
      await writeFile(temp, `${JSON.stringify({ v: format, model: result.model, at: new Date().toISOString(), result })}\n`);
      await rename(temp, path);
      this.#stats.writes += 1;
    } catch {
      // A full disk must not fail the run: the reply is journaled in the run all the same.
      this.#stats.writeErrors += 1;
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  stats(): CacheStats {
    return { ...this.#stats };
  }
}

/** Another view of a cache that counts what one run asked of it, sharing the cache's files and totals. */
export function countingCache(cache: CallCache): CallCache & { hits: () => number } {
  let hits = 0;
  return {
    async get(request) {
      const result = await cache.get(request);
      if (result) hits += 1;
      return result;
    },
    put: (request, result) => cache.put(request, result),
    hits: () => hits,
  };
}

export interface CacheSize {
  dir: string;
  entries: number;
  bytes: number;
}

/** How many replies a cache directory keeps and their size; an absent directory is an empty cache. */
export function cacheSize(dir: string): CacheSize {
  let entries = 0;
  let bytes = 0;
  if (!existsSync(dir)) return { dir, entries, bytes };
  for (const shard of readdirSync(dir, { withFileTypes: true })) {
    if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
    for (const file of readdirSync(join(dir, shard.name))) {
      if (!file.endsWith('.json')) continue;
      entries += 1;
      bytes += statSync(join(dir, shard.name, file)).size;
    }
  }
  return { dir, entries, bytes };
}

/** Deletes every reply of a cache directory; refuses a directory that is not one (no marker file), deleting nothing. */
export async function clearCache(dir: string): Promise<CacheSize> {
  const size = cacheSize(dir);
  if (!existsSync(dir)) return size;
  if (!existsSync(join(dir, marker))) throw new EvalInputError(`${dir} is not a call cache (no ${marker} file in it): nothing deleted`);
  await rm(dir, { recursive: true, force: true });
  return size;
}
