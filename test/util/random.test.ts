import { describe, it, expect } from 'vitest';
import { createRandom, hashString } from '../../src/util/random.ts';

describe('createRandom', () => {
  it('repeats its sequence for a seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const first = Array.from({ length: 20 }, a);
    expect(Array.from({ length: 20 }, b)).toEqual(first);
  });

  it('gives different sequences for different seeds', () => {
    const a = Array.from({ length: 5 }, createRandom(1));
    const b = Array.from({ length: 5 }, createRandom(2));
    expect(a).not.toEqual(b);
  });

  it('returns floats in [0, 1) spread over the interval', () => {
    const random = createRandom(7);
    const values = Array.from({ length: 10_000 }, random);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const buckets = new Array<number>(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)] = (buckets[Math.floor(v * 10)] ?? 0) + 1;
    expect(Math.min(...buckets)).toBeGreaterThan(800);
  });

  it('accepts any number as a seed (negative, fractional, huge) without NaN', () => {
    for (const seed of [-1, 0.5, 2 ** 40, 0]) expect(Number.isNaN(createRandom(seed)())).toBe(false);
  });
});

describe('hashString', () => {
  it('is a stable unsigned 32-bit integer', () => {
    const h = hashString('hello');
    expect(h).toBe(hashString('hello'));
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });

  it('separates strings that differ in one character', () => {
    expect(hashString('request-1')).not.toBe(hashString('request-2'));
    expect(hashString('')).not.toBe(hashString(' '));
  });

  it('has no collisions over 20k short keys', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) seen.add(hashString(`key-${i}`));
    expect(seen.size).toBe(20_000);
  });
});
