// Fault injection: reading the fault spec, drawing a fault per request reproducibly, and corrupting reply content.
import { createRandom, hashString } from '../../util/random.ts';
import { violate, type Json } from './schema.ts';
import type { FaultKind, FaultSpec } from './types.ts';

export const FAULT_KINDS: readonly FaultKind[] = [
  '500',
  '503',
  'hang',
  'reset',
  'midstream',
  'badjson',
  'schema',
  'truncate',
  'tools',
];

/** Faults that only mean something when a format (JSON or a schema) was asked for. */
export const FORMAT_FAULTS: readonly FaultKind[] = ['badjson', 'schema'];

/** Faults that only mean something when the reply calls a tool. */
export const TOOL_FAULTS: readonly FaultKind[] = ['tools'];

export function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

function checkRate(rate: unknown, what: string): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new RangeError(`${what} must be a number between 0 and 1, got ${String(rate)}`);
  }
  return rate;
}

/** The spec as a rate per kind, in a fixed order (so draws do not depend on key order). Throws on bad input. */
export function faultRates(spec: FaultSpec | undefined): [FaultKind, number][] {
  if (spec === undefined) return [];
  const rates = new Map<FaultKind, number>();
  if ('rate' in spec || 'kinds' in spec) {
    const { rate, kinds } = spec as { rate: unknown; kinds: unknown };
    checkRate(rate, 'faults.rate');
    if (!Array.isArray(kinds) || kinds.length === 0) throw new RangeError('faults.kinds must list at least one fault kind');
    for (const kind of kinds) {
      if (!isFaultKind(kind)) throw new RangeError(`unknown fault kind "${String(kind)}" (known: ${FAULT_KINDS.join(', ')})`);
    }
    const unique = [...new Set(kinds as FaultKind[])];
    for (const kind of unique) rates.set(kind, (rate as number) / unique.length);
  } else {
    for (const [kind, rate] of Object.entries(spec)) {
      if (!isFaultKind(kind)) throw new RangeError(`unknown fault kind "${kind}" (known: ${FAULT_KINDS.join(', ')})`);
      rates.set(kind, checkRate(rate, `faults["${kind}"]`));
    }
  }
  const total = [...rates.values()].reduce((sum, rate) => sum + rate, 0);
  if (total > 1 + 1e-9) throw new RangeError(`fault rates add up to ${total}, more than 1`);
  return FAULT_KINDS.filter((kind) => (rates.get(kind) ?? 0) > 0).map((kind) => [kind, rates.get(kind) as number]);
}

/**
 * The fault for one request, from hash(seed, identity, attempt) alone: the same request gets the same draw on
 * every run, and its retry (attempt + 1) a fresh one.
 */
export function drawFault(
  rates: readonly [FaultKind, number][],
  seed: number,
  identity: string,
  attempt: number,
): FaultKind | undefined {
  if (rates.length === 0) return undefined;
  const r = createRandom(hashString(`fault|${seed}|${attempt}|${identity}`))();
  let cumulative = 0;
  for (const [kind, rate] of rates) {
    cumulative += rate;
    if (r < cumulative) return kind;
  }
  return undefined;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON cut off part-way (as a model stopped by a crash or a bad grammar), which no parser accepts. */
export function brokenJson(content: string): string {
  let cut = content.slice(0, Math.max(1, Math.ceil(content.length * 0.6)));
  if (cut === content && content.length > 1) cut = content.slice(0, -1);
  if (cut.trim() === '') cut = '{"';
  return parses(cut) ? `${cut},` : cut;
}

/** Valid JSON that breaks the schema, or broken JSON when there is no schema to break. */
export function schemaViolation(content: string, format: unknown): string {
  if (typeof format === 'object' && format !== null && parses(content)) {
    const wrong = violate(format, JSON.parse(content) as Json);
    if (wrong !== undefined) return JSON.stringify(wrong);
  }
  return brokenJson(content);
}

/** About half of the pieces; a single piece is cut in half. */
export function truncatePieces(pieces: string[]): string[] {
  if (pieces.length > 1) return pieces.slice(0, Math.ceil(pieces.length / 2));
  const only = pieces[0];
  if (only === undefined || only.length < 2) return pieces;
  return [only.slice(0, Math.ceil(only.length / 2))];
}
