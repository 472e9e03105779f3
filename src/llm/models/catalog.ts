// What a host has (/api/tags) and holds in memory (/api/ps), with each model's details and window, as `harness models` shows it.
import { fetchShowWindow } from '../context/show.ts';
import { errorOf, hostFetch, type HostRequest } from './http.ts';

export interface HostModel {
  /** `name:tag` as the host lists it. */
  name: string;
  /** Bytes on disk. */
  size: number;
  family: string | null;
  /** As Ollama shows it: `7.6B`. */
  parameterSize: string | null;
  /** As Ollama shows it: `Q4_K_M`. */
  quantization: string | null;
  modifiedAt: string | null;
  /** The context it was trained for (`/api/show` model_info), null when the host does not say. */
  contextLength: number | null;
  /** Its Modelfile's `num_ctx`: what it runs with when a request sets none (null: the server's default). */
  numCtx: number | null;
}

export interface LoadedModel {
  name: string;
  size: number;
  /** Bytes in GPU memory (the rest is in system memory). */
  sizeVram: number | null;
  /** When the host unloads it unless used again. */
  expiresAt: string | null;
  /** The num_ctx it was loaded with (`/api/ps` context_length). */
  contextLength: number | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The `models` array of a listing; throws with the host's own error when it answered with one. */
async function listing(host: string, path: '/api/tags' | '/api/ps', request: HostRequest): Promise<Record<string, unknown>[]> {
  const response = await hostFetch(host, path, { timeoutMs: request.timeoutMs ?? 5_000, ...(request.signal ? { signal: request.signal } : {}) });
  if (!response.ok) throw new Error(`${path} answered ${await errorOf(response)}`);
  const body: unknown = await response.json().catch(() => null);
  const models = isRecord(body) ? body.models : undefined;
  if (!Array.isArray(models)) throw new Error(`${path} sent no model list`);
  return models.filter(isRecord);
}

/** GET /api/tags: every model the host has on disk; then /api/show for each, a few at a time, for its window. */
export async function hostModels(host: string, request: HostRequest = {}): Promise<HostModel[]> {
  const models = (await listing(host, '/api/tags', request)).map((item): HostModel => {
    const details = isRecord(item.details) ? item.details : {};
    return {
      name: text(item.name) ?? text(item.model) ?? '?',
      size: count(item.size) ?? 0,
      family: text(details.family),
      parameterSize: text(details.parameter_size),
      quantization: text(details.quantization_level),
      modifiedAt: text(item.modified_at),
      contextLength: null,
      numCtx: null,
    };
  });
  const showRequest = { timeoutMs: request.timeoutMs ?? 5_000, ...(request.signal ? { signal: request.signal } : {}) };
  for (let i = 0; i < models.length; i += SHOW_AT_ONCE) {
    await Promise.all(models.slice(i, i + SHOW_AT_ONCE).map(async (model) => {
      // A model the host cannot describe is still listed, its window unknown.
      const window = await fetchShowWindow(host, model.name, showRequest).catch(() => null);
      model.contextLength = window?.trained ?? null;
      model.numCtx = window?.modelfileNumCtx ?? null;
    }));
  }
  return models;
}

/** /api/show requests in flight at once per host while listing. */
const SHOW_AT_ONCE = 8;

/** GET /api/ps: the models loaded in memory now. */
export async function loadedModels(host: string, request: HostRequest = {}): Promise<LoadedModel[]> {
  return (await listing(host, '/api/ps', request)).map((item) => ({
    name: text(item.name) ?? text(item.model) ?? '?',
    size: count(item.size) ?? 0,
    sizeVram: count(item.size_vram),
    expiresAt: text(item.expires_at),
    contextLength: count(item.context_length),
  }));
}
