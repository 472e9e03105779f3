// POST /api/pull: a model fetched from its registry onto a host, its streamed NDJSON progress handed on line by line.
import { errorOf, hostFetch } from './http.ts';

/** One progress line, as Ollama's api.ProgressResponse has it (digest, total and completed only while downloading). */
export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export type PullOutcome = { ok: true } | { ok: false; error: string };

export interface PullOptions {
  /** The host to pull onto, as resolveHost gives it (credentials allowed). */
  host: string;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
  /** Allow an insecure (plain http, self-signed) registry. */
  insecure?: boolean;
}

function progressOf(line: Record<string, unknown>): PullProgress {
  const progress: PullProgress = { status: typeof line.status === 'string' ? line.status : '' };
  if (typeof line.digest === 'string') progress.digest = line.digest;
  if (typeof line.total === 'number') progress.total = line.total;
  if (typeof line.completed === 'number') progress.completed = line.completed;
  return progress;
}

/**
 * Pulls `model`: ok once the host says `success`; otherwise the host's error as Ollama words it (`pull model manifest:
 * file does not exist`), or why it could not be reached. Never throws.
 */
export async function pullModel(model: string, options: PullOptions): Promise<PullOutcome> {
  let response: Response;
  try {
    response = await hostFetch(options.host, '/api/pull', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, ...(options.insecure ? { insecure: true } : {}) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  if (!response.ok || response.body === null) return { ok: false, error: await errorOf(response) };

  const decoder = new TextDecoder();
  let pending = '';
  let succeeded = false;
  const take = (raw: string): string | undefined => {
    const line = raw.trim();
    if (line === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return `unreadable progress line: ${line.slice(0, 120)}`;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `unreadable progress line: ${line.slice(0, 120)}`;
    const record: Record<string, unknown> = { ...parsed };
    if (typeof record.error === 'string') return record.error;
    const progress = progressOf(record);
    options.onProgress?.(progress);
    if (progress.status === 'success') succeeded = true;
    return undefined;
  };
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const error = take(line);
        if (error !== undefined) {
          await reader.cancel().catch(() => undefined);
          return { ok: false, error };
        }
      }
    }
    const error = take(pending + decoder.decode());
    if (error !== undefined) return { ok: false, error };
  } catch (error) {
    return { ok: false, error: `the pull stream broke off: ${error instanceof Error ? error.message : String(error)}` };
  }
  return succeeded ? { ok: true } : { ok: false, error: 'the pull ended without success' };
}
