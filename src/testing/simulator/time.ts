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

/** OLLAMA_KEEP_ALIVE's default (envconfig.KeepAlive): five minutes. */
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
/** What a negative keep_alive becomes (api.Duration): time.Duration(math.MaxInt64), 292 years — /api/ps shows it. */
export const FOREVER_MS = 9_223_372_036_854.775;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  '\u00b5s': 1_000n,
  '\u03bcs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = 2n ** 63n;

/** time/format.go quote: non-ASCII and control bytes as \x escapes. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x80 || code < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

/** time.ParseDuration, error texts included: milliseconds, or the error Ollama answers with. */
export function parseGoDuration(orig: string): { ms: number } | { error: string } {
  const invalid = { error: `time: invalid duration ${goQuote(orig)}` };
  let s = orig;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ms: 0 };
  if (s === '') return invalid;
  let total = 0n;
  while (s !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (!(s[0] === '.' || /\d/.test(s[0] ?? '')) || (whole === '' && (fraction ?? '') === '')) return invalid;
    s = s.slice(number?.[0].length ?? 0);
    const unitText = /^[^.\d]*/.exec(s)?.[0] ?? '';
    if (unitText === '') return { error: `time: missing unit in duration ${goQuote(orig)}` };
    s = s.slice(unitText.length);
    const unit = UNIT_NS[unitText];
    if (unit === undefined) return { error: `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(orig)}` };
    const v = BigInt(whole === '' ? '0' : whole);
    if (v > MAX_NS / unit) return invalid;
    let ns = v * unit;
    if (fraction) ns += BigInt(Math.floor(Number(`0.${fraction}`) * Number(unit)));
    total += ns;
    if (total > MAX_NS) return invalid;
  }
  if (!negative && total > MAX_NS - 1n) return invalid;
  return { ms: Number(negative ? -total : total) / 1e6 };
}

/**
 * api.Duration.UnmarshalJSON: seconds as a number or a Go duration string; negative means forever. Returns
 * milliseconds, or the error text Ollama answers 400 with.
 */
export function keepAliveFromJson(value: unknown): { ms: number } | { error: string } {
  if (typeof value === 'number') return { ms: value < 0 ? FOREVER_MS : value * 1000 };
  if (typeof value === 'string') {
    const parsed = parseGoDuration(value);
    return 'ms' in parsed && parsed.ms < 0 ? { ms: FOREVER_MS } : parsed;
  }
  const goType = typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}';
  return { error: `Unsupported type: '${goType}'` };
}

/** A decoded keep_alive (milliseconds) or the server default when the request has none. */
export function keepAliveMs(decoded: unknown): number {
  return typeof decoded === 'number' ? decoded : DEFAULT_KEEP_ALIVE_MS;
}
