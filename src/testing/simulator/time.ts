// Simulated time: abortable waits and Ollama's keep_alive durations.

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. 0 ms resolves without a timer. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits until the signal aborts (a hung model), then rejects with its reason. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * keep_alive as Ollama reads it: a number of seconds or a Go duration string ("300ms", "1.5h", "2h45m");
 * negative means forever. Returns milliseconds, or the 5-minute default when absent or unreadable.
 */
export function keepAliveMs(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 0 ? Infinity : value * 1000;
  if (typeof value !== 'string' || value.trim() === '') return DEFAULT_KEEP_ALIVE_MS;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return keepAliveMs(Number(text));
  const parts = [...text.matchAll(/(-?\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return DEFAULT_KEEP_ALIVE_MS;
  const total = parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 1000), 0);
  return total < 0 ? Infinity : total;
}
