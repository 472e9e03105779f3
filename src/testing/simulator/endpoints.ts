// The model-library endpoints: /api/tags, /api/show, /api/ps, /api/version, /api/embed and the legacy /api/embeddings.
import { createRandom, hashString } from '../../util/random.ts';
import { watchExchange, type Exchange, type SimContext } from './context.ts';
import { psEntry, showResponse, tagsEntry } from './models.ts';
import { countTokens } from './replies.ts';
import { keepAliveMs } from './time.ts';
import { fieldTypeError, notFoundMessage, nsSince, parseRequestBody, sendError, sendJson } from './wire.ts';

/** Any plausible Ollama version: clients only display it. */
export const OLLAMA_VERSION = '0.12.0';

export function handleTags(ex: Exchange, ctx: SimContext): void {
  sendJson(ex.res, 200, { models: ctx.catalog.list().map(tagsEntry) });
}

export function handlePs(ex: Exchange, ctx: SimContext): void {
  const models = ctx.scheduler.loaded().map(({ entry, expiresAt, numCtx }) => {
    // A model serving a request has no countdown yet; Ollama shows the default keep-alive from now.
    const shown = Number.isFinite(expiresAt) ? expiresAt : Date.now() + keepAliveMs(undefined);
    return psEntry(entry, new Date(shown), numCtx);
  });
  sendJson(ex.res, 200, { models });
}

export function handleVersion(ex: Exchange): void {
  sendJson(ex.res, 200, { version: OLLAMA_VERSION });
}

export function handleShow(ex: Exchange, ctx: SimContext): void {
  const parsed = parseRequestBody(ex.body, 'ShowRequest');
  if (!parsed.ok) return sendError(ex.res, 400, parsed.message);
  const body = parsed.value;
  const typeError = fieldTypeError(body, 'model', 'string', 'ShowRequest');
  if (typeError) return sendError(ex.res, 400, typeError);
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : body.name;
  if (typeof model !== 'string' || model === '') return sendError(ex.res, 400, 'model is required');
  const entry = ctx.catalog.find(model);
  if (!entry) return sendError(ex.res, 404, notFoundMessage(model));
  sendJson(ex.res, 200, showResponse(entry));
}

/**
 * A unit vector from the words of `text`: each word adds to a dimension chosen by its hash, so texts sharing
 * words come out similar (cosine), which is what retrieval tests need.
 */
export function embedText(text: string, seed: number, dimensions: number): number[] {
  const vector: number[] = Array.from({ length: dimensions }, () => 0);
  const tokens = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const token of tokens) {
    const h = hashString(`embed|${seed}|${token}`);
    vector[h % dimensions] = (vector[h % dimensions] ?? 0) + (h & 1 ? 1 : -1);
    const g = hashString(`embed2|${seed}|${token}`);
    vector[g % dimensions] = (vector[g % dimensions] ?? 0) + (g & 1 ? 0.5 : -0.5);
  }
  if (!vector.some((v) => v !== 0)) {
    const random = createRandom(hashString(`embed|${seed}|${text}`));
    for (let i = 0; i < dimensions; i++) vector[i] = random() * 2 - 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  // Ollama's vectors are float32.
  return vector.map((v) => Math.fround(v / norm));
}

function embedInputs(body: Record<string, unknown>, field: 'input' | 'prompt'): string[] | undefined {
  const input = body[field];
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return input === '' ? [] : [input];
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  return undefined;
}

/** Where an embed answer goes: Ollama's JSON, or the OpenAI layer's translation of it. */
export type EmbedSend = (status: number, value: Record<string, unknown>) => void;

/** /api/embed {model, input} and the legacy /api/embeddings {model, prompt}. */
export async function handleEmbed(ex: Exchange, ctx: SimContext, legacy: boolean): Promise<void> {
  const parsed = parseRequestBody(ex.body, legacy ? 'EmbeddingRequest' : 'EmbedRequest');
  if (!parsed.ok) return sendError(ex.res, 400, parsed.message);
  await embed(ex, ctx, parsed.value, legacy, (status, value) => sendJson(ex.res, status, value));
}

/** The embed handler proper, from a parsed body. */
export async function embed(
  ex: Exchange,
  ctx: SimContext,
  body: Record<string, unknown>,
  legacy: boolean,
  send: EmbedSend,
): Promise<void> {
  const fail = (status: number, message: string) => send(status, { error: message });
  const typeError = fieldTypeError(body, 'model', 'string', legacy ? 'EmbeddingRequest' : 'EmbedRequest');
  if (typeError) return fail(400, typeError);
  const model = typeof body.model === 'string' ? body.model : '';
  // Ollama looks the empty name up like any other (404), except on the legacy endpoint.
  if (model === '') return legacy ? fail(400, 'model is required') : fail(404, notFoundMessage(''));
  const inputs = embedInputs(body, legacy ? 'prompt' : 'input');
  if (inputs === undefined) return fail(400, 'invalid input type');
  const entry = ctx.catalog.find(model);
  if (!entry) return fail(404, notFoundMessage(model));
  const w = watchExchange(ex, ctx, false);
  try {
    await ctx.scheduler.ensureLoaded(entry, w.signal);
  } catch {
    return; // the client left while the model loaded
  } finally {
    w.dispose();
  }
  const loaded = process.hrtime.bigint();
  ctx.scheduler.keepAlive(entry, keepAliveMs(body.keep_alive));
  // No input only loads the model; the reply then has no counters (they are omitempty in Go).
  if (!legacy && inputs.length === 0) return send(200, { model, embeddings: [] });
  const asked: number = typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.floor(body.dimensions) : 0;
  // The model's embedding length, as a real model returns (generative models embed too); `dimensions` only shortens.
  const dimensions = asked > 0 && asked < entry.embeddingLength ? asked : entry.embeddingLength;
  const embeddings = inputs.map((text) => embedText(text, ctx.seed, dimensions));
  if (legacy) return send(200, { embedding: embeddings[0] ?? [] });
  send(200, {
    model,
    embeddings,
    total_duration: nsSince(ex.arrived),
    load_duration: nsSince(ex.arrived, loaded),
    prompt_eval_count: inputs.reduce((sum, text) => sum + countTokens([{ content: text }]), 0),
  });
}
