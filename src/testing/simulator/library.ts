// Model management: /api/pull, /api/push, /api/create, /api/copy, /api/delete and /api/blobs, all on the model table.
import { createHash } from 'node:crypto';
import { CopyRequest, CreateRequest, DeleteRequest, PullRequest, PushRequest } from './apitypes.ts';
import type { Exchange, SimContext } from './context.ts';
import type { GoType } from './gotypes.ts';
import { displayShortest, modelRefError, validModelName } from './validation.ts';
import { baseName, canonicalName, describe, digestOf, type ModelEntry } from './models.ts';
import {
  NDJSON_TYPE,
  notFoundMessage,
  parseRequestBody,
  sendEmpty,
  sendError,
  sendJson,
  writeLine,
} from './wire.ts';

/** Progress as api.ProgressResponse marshals it: digest, total and completed are omitempty. */
interface Progress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

/** A failure inside a progress stream; `status` defaults to 500 as in Ollama's streamResponse/waitForStream. */
class ProgressError extends Error {
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

const INVALID_NAME = 'invalid model name';
/** What Ollama's registry client reports for a name registry.ollama.ai does not have. */
const NO_MANIFEST = 'pull model manifest: file does not exist';
/** The content type Ollama sets itself before a progress reply or a pre-stream error (gin keeps it). */
const PLAIN_JSON = 'application/json';

function progress(status: string, digest?: string, total?: number, completed?: number): Progress {
  return {
    status,
    ...(digest ? { digest } : {}),
    ...(total ? { total } : {}),
    ...(completed ? { completed } : {}),
  };
}

/**
 * Runs a progress producer the way Ollama's handlers do: streamed NDJSON by default (an error after the first
 * line becomes an `{"error"}` line with status 200), or with `stream: false` only the last progress (or the
 * error with its status).
 */
function answerProgress(ex: Exchange, stream: boolean, produce: (emit: (p: Progress) => void) => void): void {
  const { res } = ex;
  const seen: Progress[] = [];
  let failure: ProgressError | undefined;
  try {
    produce((p) => seen.push(p));
  } catch (error) {
    failure = error instanceof ProgressError ? error : new ProgressError(error instanceof Error ? error.message : String(error));
  }
  if (!stream) {
    if (failure) return sendJson(res, failure.status, { error: failure.message }, PLAIN_JSON);
    return sendJson(res, 200, seen.at(-1) ?? { status: '' }, PLAIN_JSON);
  }
  if (seen.length === 0 && failure) return sendJson(res, failure.status, { error: failure.message }, PLAIN_JSON);
  res.writeHead(200, { 'Content-Type': NDJSON_TYPE });
  for (const p of seen) writeLine(res, p);
  if (failure) writeLine(res, { error: failure.message });
  res.end();
}

function bodyOf(ex: Exchange, goType: GoType): Record<string, unknown> | undefined {
  const parsed = parseRequestBody(ex.rawBody, goType);
  if (!parsed.ok) return void sendError(ex.res, 400, parsed.message);
  return parsed.value;
}

function nameIn(body: Record<string, unknown>): string {
  const model = typeof body.model === 'string' ? body.model : '';
  return model !== '' ? model : typeof body.name === 'string' ? body.name : '';
}

/** The layers a model's manifest lists: the weights, then small template/license/params blobs. */
function layersOf(entry: ModelEntry): { digest: string; size: number }[] {
  const small = ['template', 'license', 'params'].map((kind, i) => ({
    digest: `sha256:${digestOf(`${entry.fullName}|${kind}`)}`,
    size: [1_400, 11_300, 96][i] ?? 100,
  }));
  return [{ digest: `sha256:${entry.digest}`, size: entry.size }, ...small];
}

/** The pull itself: manifest, each layer's download progress, verification, manifest write, success. */
function pull(ctx: SimContext, name: string, emit: (p: Progress) => void): ModelEntry {
  emit(progress('pulling manifest'));
  const base = baseName(name);
  if (!ctx.registry.has(base)) throw new ProgressError(NO_MANIFEST);
  const entry = describe(name, new Date().toISOString());
  const layers = layersOf(entry);
  for (const layer of layers) {
    const short = layer.digest.slice(7, 19);
    const cached = ctx.blobs.has(layer.digest);
    // A blob already on disk is reported done at once, as downloadBlob does for a cache hit.
    for (const share of cached ? [1] : [0, 0.5, 1]) {
      emit(progress(`pulling ${short}`, layer.digest, layer.size, Math.round(layer.size * share)));
    }
    ctx.blobs.add(layer.digest);
  }
  emit(progress('verifying sha256 digest'));
  emit(progress('writing manifest'));
  const existing = ctx.catalog.find(name);
  // Re-pulling keeps the name the user configured (the key of stats.byModel).
  ctx.catalog.add(existing ? { ...entry, name: existing.name } : entry);
  emit(progress('success'));
  return entry;
}

export function handlePull(ex: Exchange, ctx: SimContext): void {
  const body = bodyOf(ex, PullRequest);
  if (!body) return;
  const name = nameIn(body);
  // parseNormalizePullModelRef: an empty name and a malformed one both come back as "invalid model name".
  if (modelRefError(name)) return sendError(ex.res, 400, INVALID_NAME);
  answerProgress(ex, body.stream !== false, (emit) => void pull(ctx, name, emit));
}

function manifestPath(fullName: string): string {
  const tagAt = fullName.lastIndexOf(':');
  const path = fullName.slice(0, tagAt);
  const qualified = path.includes('/') ? `registry.ollama.ai/${path}` : `registry.ollama.ai/library/${path}`;
  return `/simulated/models/manifests/${qualified}/${fullName.slice(tagAt + 1)}`;
}

export function handlePush(ex: Exchange, ctx: SimContext): void {
  const body = bodyOf(ex, PushRequest);
  if (!body) return;
  const name = nameIn(body);
  if (name === '') return sendError(ex.res, 400, 'model is required');
  answerProgress(ex, body.stream !== false, (emit) => {
    emit(progress('retrieving manifest'));
    const entry = ctx.catalog.find(name);
    if (!entry) {
      emit(progress("couldn't retrieve manifest"));
      throw new ProgressError(`open ${manifestPath(canonicalName(name))}: no such file or directory`);
    }
    for (const layer of layersOf(entry)) {
      const short = layer.digest.slice(7, 19);
      emit(progress(`pushing ${short}`, layer.digest, layer.size));
      emit(progress(`pushing ${short}`, layer.digest, layer.size, layer.size));
    }
    emit(progress('pushing manifest'));
    // What was pushed can be pulled back.
    ctx.registry.add(baseName(name));
    emit(progress('success'));
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** io/fs.ValidPath: unrooted, slash-separated, no empty, "." or ".." element (except the name "." itself). */
function validPath(path: string): boolean {
  return path === '.' || path.split('/').every((element) => element !== '' && element !== '.' && element !== '..');
}

export function handleCreate(ex: Exchange, ctx: SimContext): void {
  const body = bodyOf(ex, CreateRequest);
  if (!body) return;
  // CreateHandler checks the file map before the name: relative paths (fs.ValidPath) and non-empty digests.
  for (const [path, digest] of Object.entries(isRecord(body.files) ? body.files : {})) {
    if (!validPath(path)) return sendError(ex.res, 400, 'file path must be relative');
    if (digest === '') return sendError(ex.res, 400, 'invalid digest format');
  }
  const name = nameIn(body);
  if (!validModelName(name)) return sendError(ex.res, 400, INVALID_NAME);
  const from = typeof body.from === 'string' ? body.from : '';
  const files = typeof body.files === 'object' && body.files !== null ? Object.values(body.files) : undefined;
  const system = typeof body.system === 'string' && body.system !== '' ? body.system : undefined;
  const template = typeof body.template === 'string' && body.template !== '' ? body.template : undefined;
  // PARAMETER num_ctx: the context the new model runs with when a request sets none.
  const parameters = typeof body.parameters === 'object' && body.parameters !== null ? (body.parameters as Record<string, unknown>) : {};
  const numCtx = typeof parameters.num_ctx === 'number' && Number.isInteger(parameters.num_ctx) && parameters.num_ctx > 0 ? parameters.num_ctx : undefined;
  answerProgress(ex, body.stream !== false, (emit) => {
    let source: ModelEntry;
    if (from !== '') {
      if (modelRefError(from)) throw new ProgressError(INVALID_NAME, 400);
      // A base that is not here is pulled first, as parseFromModel does.
      source = ctx.catalog.find(from) ?? pull(ctx, from, emit);
    } else if (files) {
      const missing = files.find((digest) => typeof digest !== 'string' || !ctx.blobs.has(digest));
      if (missing !== undefined) throw new ProgressError(`blob ${JSON.stringify(missing)} not found`, 400);
      source = describe(name);
    } else {
      throw new ProgressError("neither 'from' or 'files' was specified", 400);
    }
    emit(progress(`using existing layer sha256:${source.digest}`));
    for (const text of [template, system]) {
      if (text !== undefined) emit(progress(`creating new layer sha256:${digestOf(text)}`));
    }
    emit(progress('writing manifest'));
    const fullName = canonicalName(name);
    // The new manifest's model layer records where it came from (parseFromModel): /api/show's parent_model.
    const parent = from !== '' ? displayShortest(from.trim()) : '';
    ctx.catalog.add({
      ...source,
      details: { ...source.details, parent_model: parent },
      name,
      fullName,
      digest: digestOf(`${source.digest}|${fullName}|${system ?? source.system ?? ''}|${template ?? source.template ?? ''}|${numCtx ?? source.numCtx ?? ''}`),
      modifiedAt: new Date().toISOString(),
      ...(system !== undefined ? { system } : {}),
      ...(template !== undefined ? { template } : {}),
      ...(numCtx !== undefined ? { numCtx } : {}),
    });
    emit(progress('success'));
  });
}

export function handleCopy(ex: Exchange, ctx: SimContext): void {
  const body = bodyOf(ex, CopyRequest);
  if (!body) return;
  const source = typeof body.source === 'string' ? body.source : '';
  const destination = typeof body.destination === 'string' ? body.destination : '';
  if (!validModelName(source)) return sendError(ex.res, 400, `source ${JSON.stringify(source)} is invalid`);
  if (!validModelName(destination)) return sendError(ex.res, 400, `destination ${JSON.stringify(destination)} is invalid`);
  const entry = ctx.catalog.find(source);
  if (!entry) return sendError(ex.res, 404, `model ${JSON.stringify(source)} not found`);
  // A copy is a second manifest naming the same layers: same digest, new name.
  ctx.catalog.add({ ...entry, name: destination, fullName: canonicalName(destination), modifiedAt: new Date().toISOString() });
  sendEmpty(ex.res);
}

export function handleDelete(ex: Exchange, ctx: SimContext): void {
  const body = bodyOf(ex, DeleteRequest);
  if (!body) return;
  const name = nameIn(body);
  const refError = modelRefError(name);
  if (refError === 'model is required') return sendError(ex.res, 400, refError);
  if (refError) return sendError(ex.res, 400, `name ${JSON.stringify(name)} is invalid`);
  const entry = ctx.catalog.find(name);
  if (!entry) return sendError(ex.res, 404, notFoundMessage(name));
  ctx.scheduler.unload(entry);
  ctx.catalog.remove(name);
  sendEmpty(ex.res);
}

const DIGEST = /^sha256[:-][0-9a-f]{64}$/;

function knownBlob(ctx: SimContext, digest: string): boolean {
  const normal = digest.replace('sha256-', 'sha256:');
  return ctx.blobs.has(normal) || ctx.catalog.list().some((entry) => `sha256:${entry.digest}` === normal);
}

/** HEAD /api/blobs/:digest — 200 when the server has the blob, 404 otherwise (the body a HEAD never shows). */
export function handleHeadBlob(ex: Exchange, ctx: SimContext): void {
  if (!DIGEST.test(ex.param)) return sendError(ex.res, 400, 'invalid digest format');
  if (!knownBlob(ctx, ex.param)) return sendError(ex.res, 404, `blob ${JSON.stringify(ex.param)} not found`);
  sendEmpty(ex.res);
}

/** POST /api/blobs/:digest — stores the body when its sha256 matches: 201, or 200 when it was already there. */
export function handleCreateBlob(ex: Exchange, ctx: SimContext): void {
  if (!DIGEST.test(ex.param)) return sendError(ex.res, 400, 'invalid digest format');
  if (knownBlob(ctx, ex.param)) return sendEmpty(ex.res);
  const actual = `sha256:${createHash('sha256').update(ex.rawBody).digest('hex')}`;
  if (actual !== ex.param) {
    return sendError(ex.res, 400, `digest mismatch, expected ${JSON.stringify(ex.param)}, got ${JSON.stringify(actual)}`);
  }
  ctx.blobs.add(actual);
  sendEmpty(ex.res, 201);
}
