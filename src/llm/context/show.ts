// What a host says about a model's context: the trained length and Modelfile num_ctx (/api/show), and the num_ctx a
// loaded model runs with (/api/ps).
import { errorOf, hostFetch, type HostRequest } from '../models/http.ts';
import { canonicalModel } from '../listing.ts';

export interface ModelWindowInfo {
  /** `model_info["<arch>.context_length"]`: the longest context the model was trained for; null when not reported. */
  trained: number | null;
  /** `PARAMETER num_ctx` of its Modelfile: what it runs with when a request sets none; null when unset. */
  modelfileNumCtx: number | null;
  /** The num_ctx of the loaded runner (`/api/ps` `context_length`); null when the model is not loaded. */
  loadedNumCtx: number | null;
  /** `/api/show` `modified_at`: a re-pulled or re-created model shows a new one. */
  modifiedAt: string | null;
  capabilities: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const positiveInt = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null);

/** The trained length from `model_info`: `<general.architecture>.context_length`, else any `*.context_length`. */
export function trainedLength(modelInfo: unknown): number | null {
  if (!isRecord(modelInfo)) return null;
  const arch = modelInfo['general.architecture'];
  const named = typeof arch === 'string' ? positiveInt(modelInfo[`${arch}.context_length`]) : null;
  if (named !== null) return named;
  for (const [key, value] of Object.entries(modelInfo)) if (key.endsWith('.context_length') && positiveInt(value) !== null) return positiveInt(value);
  return null;
}

/** `num_ctx` from `/api/show`'s `parameters` text (`num_ctx                        8192`). */
export function modelfileNumCtx(parameters: unknown): number | null {
  if (typeof parameters !== 'string') return null;
  const match = /^num_ctx\s+(\d+)\s*$/m.exec(parameters);
  return match ? positiveInt(Number(match[1])) : null;
}

/** The `context_length` `/api/ps` lists for `model`, null when it is not loaded (or the host does not say). */
export function loadedContext(psBody: unknown, model: string): number | null {
  const models = isRecord(psBody) ? psBody.models : undefined;
  if (!Array.isArray(models)) return null;
  const wanted = canonicalModel(model);
  for (const item of models) {
    if (!isRecord(item)) continue;
    const names = [item.name, item.model].filter((n): n is string => typeof n === 'string').map(canonicalModel);
    if (names.includes(wanted)) return positiveInt(item.context_length);
  }
  return null;
}

/** What `/api/show` says of a model's window (everything but what is loaded); throws with the host's words. */
export async function fetchShowWindow(host: string, model: string, request: HostRequest): Promise<Omit<ModelWindowInfo, 'loadedNumCtx'>> {
  const show = await hostFetch(host, '/api/show', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }), ...request });
  if (!show.ok) throw new Error(`/api/show answered ${await errorOf(show)}`);
  const body: unknown = await show.json().catch(() => null);
  if (!isRecord(body)) throw new Error('/api/show sent no model description');
  return {
    trained: trainedLength(body.model_info),
    modelfileNumCtx: modelfileNumCtx(body.parameters),
    modifiedAt: typeof body.modified_at === 'string' ? body.modified_at : null,
    capabilities: Array.isArray(body.capabilities) ? body.capabilities.filter((c): c is string => typeof c === 'string') : [],
  };
}

/**
 * Asks `host` (as resolveHost gives it, credentials included) about `model`'s window; throws with the host's words
 * when it cannot tell (unreachable, unknown model, not an Ollama server).
 */
export async function fetchModelWindow(host: string, model: string, timeoutMs: number, signal?: AbortSignal): Promise<ModelWindowInfo> {
  const request = { timeoutMs, ...(signal ? { signal } : {}) };
  const [show, ps] = await Promise.all([
    fetchShowWindow(host, model, request),
    hostFetch(host, '/api/ps', request).catch(() => null),
  ]);
  const psBody: unknown = ps?.ok ? await ps.json().catch(() => null) : null;
  return { ...show, loadedNumCtx: loadedContext(psBody, model) };
}
