// The model-library endpoints: /api/tags, /api/show, /api/ps, /api/version, /api/embed and the legacy /api/embeddings.
import { createRandom, hashString } from '../../util/random.ts';
import { watchExchange, type Exchange, type SimContext } from './context.ts';
import { psEntry, showResponse, tagsEntry } from './models.ts';
import { numCtxFor, requestedNumCtx } from './prompt.ts';
import { countTokens, vocabularyOf, type Vocabulary } from './tokens.ts';
import { keepAliveMs } from './time.ts';
import { EmbedRequest, EmbeddingRequest, ShowRequest } from './apitypes.ts';
import { displayShortest, modelRefError, optionError } from './validation.ts';
import { notFoundMessage, nsSince, parseRequestBody, sendError, sendJson } from './wire.ts';

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
  const parsed = parseRequestBody(ex.rawBody, ShowRequest);
  if (!parsed.ok) return sendError(ex.res, 400, parsed.message);
  const body = parsed.value;
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : body.name;
  if (typeof model !== 'string' || model === '') return sendError(ex.res, 400, 'model is required');
  const refError = modelRefError(model);
  if (refError) return sendError(ex.res, 400, refError);
  const entry = ctx.catalog.find(model);
  // ShowHandler looks the model up by Name.DisplayShortest(), and says so: a bare name gains ":latest".
  if (!entry) return sendError(ex.res, 404, notFoundMessage(displayShortest(model.trim())));
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
  const parsed = parseRequestBody(ex.rawBody, legacy ? EmbeddingRequest : EmbedRequest);
  if (!parsed.ok) return sendError(ex.res, 400, parsed.message);
  await embed(ex, ctx, parsed.value, legacy, (status, value) => sendJson(ex.res, status, value));
}

/**
 * What the runner embeds of one input (EmbedHandler): the window is num_ctx capped by the trained length, less
 * the BOS and EOS tokens a tokenized input lacks. Over it, `truncate: false` is refused and the default cuts.
 */
function fitInput(text: string, window: number, truncate: boolean, vocabulary: Vocabulary): { text: string; tokens: number } | { status: number; error: string } {
  const limit = window - 2;
  if (limit <= 0) return { status: 400, error: 'input after truncation exceeds maximum context length' };
  const tokens = countTokens([{ content: text }], vocabulary);
  if (tokens <= limit) return { text, tokens };
  if (!truncate) return { status: 400, error: 'the input length exceeds the context length' };
  // Detokenize(tokens[:limit]): the longest prefix that counts at most `limit` tokens.
  let [low, high] = [0, text.length];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (countTokens([{ content: text.slice(0, mid) }], vocabulary) <= limit) low = mid;
    else high = mid - 1;
  }
  return { text: text.slice(0, low), tokens: limit };
}

/** The embed handler proper, from a decoded body, in EmbedHandler's (or EmbeddingsHandler's) order. */
export async function embed(
  ex: Exchange,
  ctx: SimContext,
  body: Record<string, unknown>,
  legacy: boolean,
  send: EmbedSend,
): Promise<void> {
  const fail = (status: number, message: string) => send(status, { error: message });
  const model = typeof body.model === 'string' ? body.model : '';
  const refError = modelRefError(model);
  if (refError === 'invalid model name') return fail(400, refError);
  // An empty name: the legacy endpoint says it is required; /api/embed cannot find it.
  if (refError) return legacy ? fail(400, refError) : fail(404, notFoundMessage(model));
  const inputs = embedInputs(body, legacy ? 'prompt' : 'input');
  if (inputs === undefined) return fail(400, 'invalid input type');
  const entry = ctx.catalog.find(model);
  // Here the lookup is GetModel's, reported by handleScheduleError.
  if (!entry) return fail(404, `model ${JSON.stringify(model)} not found, try pulling it first`);
  const options = typeof body.options === 'object' && body.options !== null ? (body.options as Record<string, unknown>) : {};
  const badOption = optionError(options);
  if (badOption) return fail(500, badOption);
  const w = watchExchange(ex, ctx, false);
  try {
    // Loaded with the context it runs with, as for chat (a new num_ctx reloads the model).
    await ctx.scheduler.ensureLoaded(entry, w.signal, numCtxFor(entry, options, ctx.contextLength));
  } catch {
    return; // the client left while the model loaded
  } finally {
    w.dispose();
  }
  const loaded = process.hrtime.bigint();
  ctx.scheduler.keepAlive(entry, keepAliveMs(body.keep_alive));
  if (legacy && inputs.length === 0) return send(200, { embedding: [] });
  // No input only loads the model; the reply then has no counters (they are omitempty in Go).
  if (inputs.length === 0) return send(200, { model, embeddings: [] });
  // The window is the num_ctx asked for (the request's, the Modelfile's or the server's) before the scheduler's floor
  // of 4, capped by the trained length: a num_ctx of 2 leaves no room at all.
  const window = Math.min(requestedNumCtx(entry, options, ctx.contextLength), entry.contextLength);
  const vocabulary = vocabularyOf(entry.details.family);
  const fitted = inputs.map((text) => fitInput(text, window, body.truncate !== false, vocabulary));
  const refused = fitted.find((f) => 'error' in f);
  if (refused && 'error' in refused) return fail(refused.status, refused.error);
  const accepted = fitted.filter((f) => 'text' in f);
  const asked: number = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : 0;
  // The model's embedding length, as a real model returns (generative models embed too); `dimensions` only shortens.
  const dimensions = asked > 0 && asked < entry.embeddingLength ? asked : entry.embeddingLength;
  const embeddings = accepted.map((f) => embedText(f.text, ctx.seed, dimensions));
  if (legacy) return send(200, { embedding: embeddings[0] ?? [] });
  send(200, {
    model,
    embeddings,
    total_duration: nsSince(ex.arrived),
    load_duration: nsSince(ex.arrived, loaded),
    prompt_eval_count: accepted.reduce((sum, f) => sum + f.tokens, 0),
  });
}
