// Length as a score: hard bounds, and an optional ideal the score peaks at.
import type { Scorer } from './types.ts';

export type LengthUnit = 'chars' | 'words';

export interface LengthSpec {
  min?: number;
  max?: number;
  /** Score 1 at exactly this length, falling linearly to 0 at the bound on that side. */
  ideal?: number;
  /** Characters are code points, so an emoji counts once. Default 'chars'. */
  unit?: LengthUnit;
}

export function measureLength(content: string, unit: LengthUnit): number {
  if (unit === 'words') return content.split(/\s+/).filter((word) => word.length > 0).length;
  let count = 0;
  for (const _ of content) count++;
  return count;
}

function validate(spec: LengthSpec): void {
  for (const key of ['min', 'max', 'ideal'] as const) {
    const value = spec[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`lengthScorer: ${key} must be a non-negative number, got ${String(value)}`);
    }
  }
  const { min = 0, max = Infinity, ideal } = spec;
  if (min > max) throw new RangeError(`lengthScorer: min ${min} is above max ${max}`);
  if (ideal !== undefined && (ideal < min || ideal > max)) {
    throw new RangeError(`lengthScorer: ideal ${ideal} is outside [${min}, ${max}]`);
  }
}

/**
 * Outside [min, max] scores 0. Inside, without `ideal`, scores 1; with `ideal`, the score falls linearly from 1
 * at the ideal to 0 at `min` (or 0) below it and at `max` (or twice the ideal) above it.
 */
export function lengthScorer(spec: LengthSpec): Scorer {
  validate(spec);
  const unit = spec.unit ?? 'chars';
  const { min, max, ideal } = spec;
  return ({ content }) => {
    const length = measureLength(content, unit);
    if (min !== undefined && length < min) return { value: 0, reasons: [`length ${length} ${unit} is below min ${min}`] };
    if (max !== undefined && length > max) return { value: 0, reasons: [`length ${length} ${unit} is above max ${max}`] };
    if (ideal === undefined || length === ideal) return { value: 1, reasons: [] };
    const edge = length < ideal ? (min ?? 0) : (max ?? 2 * ideal);
    const span = Math.abs(ideal - edge);
    const value = span === 0 ? 0 : Math.max(0, 1 - Math.abs(length - ideal) / span);
    return { value, reasons: [`length ${length} ${unit} is ${Math.abs(length - ideal)} from ideal ${ideal}`] };
  };
}
