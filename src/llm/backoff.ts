// How long to wait before a retry: capped exponential backoff with full jitter.
export interface BackoffOptions {
  /** Delay scale of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. Default 30 000. */
  capMs?: number;
  /** Source of [0, 1) floats; pass `createRandom(seed)` for a reproducible schedule. Default Math.random. */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): `random() * min(cap, base * 2^attempt)`.
 * Full jitter spreads retries of many callers that failed together, instead of having them hit the server in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, capMs = 30_000, random = Math.random } = options;
  const exponent = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  if (!(ceiling > 0)) return 0;
  return random() * ceiling;
}
