import { describe, it, expect } from 'vitest';
import { isRetryable } from '../../src/llm/retryable.ts';
import { backoffDelay } from '../../src/llm/backoff.ts';
import { createRandom } from '../../src/util/random.ts';
import type { ErrorKind } from '../../src/llm/types.ts';

describe('isRetryable', () => {
  const table: [ErrorKind, boolean][] = [
    ['timeout', true],
    ['connection', true],
    ['busy', true],
    ['server', true],
    ['invalid-output', true],
    ['model-not-found', false],
    ['bad-request', false],
    ['aborted', false],
    ['budget', false],
    ['internal', false],
  ];
  it.each(table)('%s → %s', (kind, expected) => {
    expect(isRetryable(kind)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it('stays within [0, min(cap, base * 2^attempt)) for every attempt', () => {
    const random = createRandom(7);
    for (let attempt = 0; attempt < 20; attempt++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, { baseMs: 100, capMs: 5000, random });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(5000, 100 * 2 ** attempt));
      }
    }
  });

  it('uses the full range (full jitter): the extremes of random map to 0 and the ceiling', () => {
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0.5 })).toBe(400);
    expect(backoffDelay(30, { baseMs: 100, capMs: 10_000, random: () => 0.5 })).toBe(5000);
    expect(backoffDelay(2000, { baseMs: 100, random: () => 0.5 })).toBe(15_000);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const schedule = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 6 }, (_, attempt) => backoffDelay(attempt, { baseMs: 1000, random }));
    };
    expect(schedule(42)).toEqual(schedule(42));
    expect(schedule(42)).not.toEqual(schedule(43));
  });

  it('treats a negative or non-finite attempt as the first retry and a zero base as no wait', () => {
    expect(backoffDelay(-3, { baseMs: 100, random: () => 0.5 })).toBe(50);
    expect(backoffDelay(NaN, { baseMs: 100, random: () => 0.5 })).toBe(50);
    expect(backoffDelay(4, { baseMs: 0, random: () => 0.5 })).toBe(0);
  });
});
