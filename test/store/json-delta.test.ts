// JSON deltas: what changed between two values, replayed to exactly the JSON the second one serialises to.
import { describe, expect, it } from 'vitest';
import { applyDelta, diff } from '../../src/store/json-delta.ts';
import { createRandom } from '../../src/util/random.ts';

/** Replays `after` on `before` the way a reader does: the delta as it comes back from a history line. */
function replayed(before: unknown, after: unknown): string {
  const base: unknown = JSON.parse(JSON.stringify(before));
  const delta = diff(base, after);
  if (delta === null) return JSON.stringify(base);
  return JSON.stringify(applyDelta(base, JSON.parse(JSON.stringify(delta))));
}

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

function randomValue(random: () => number, depth: number): Value {
  const pick = random();
  if (depth <= 0 || pick < 0.35) {
    const leaf = random();
    if (leaf < 0.2) return null;
    if (leaf < 0.4) return random() < 0.5;
    if (leaf < 0.7) return Math.round(random() * 1000) / 10;
    return `s${Math.floor(random() * 50)}`;
  }
  if (pick < 0.6) return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth - 1));
  const object: { [key: string]: Value } = {};
  for (let i = Math.floor(random() * 5); i > 0; i--) object[randomKey(random)] = randomValue(random, depth - 1);
  return object;
}

const randomKey = (random: () => number) => (random() < 0.15 ? String(Math.floor(random() * 20)) : `k${Math.floor(random() * 8)}`);

/** A copy of `value` with a few random edits: values changed, keys added, removed or moved, arrays cut or grown. */
function mutate(value: Value, random: () => number, depth = 3): Value {
  if (random() < 0.15) return randomValue(random, depth);
  if (Array.isArray(value)) {
    let items = value.map((item) => (random() < 0.3 ? mutate(item, random, depth - 1) : item));
    if (random() < 0.3) items = items.slice(0, Math.floor(random() * items.length));
    if (random() < 0.3) items.push(randomValue(random, depth - 1));
    return items;
  }
  if (value !== null && typeof value === 'object') {
    let entries = Object.entries(value).map(([key, item]): [string, Value] => [key, random() < 0.3 ? mutate(item, random, depth - 1) : item]);
    if (random() < 0.2) entries = entries.filter(() => random() < 0.7);
    if (random() < 0.2) entries.reverse();
    if (random() < 0.3) entries.push([randomKey(random), randomValue(random, depth - 1)]);
    return Object.fromEntries(entries);
  }
  return value;
}

describe('JSON deltas', () => {
  it('replay to exactly the JSON of the new value, key order included, over many random edits', () => {
    const random = createRandom(18);
    for (let round = 0; round < 2000; round++) {
      const before = randomValue(random, 4);
      const after = mutate(before, random);
      expect(replayed(before, after)).toBe(JSON.stringify(after));
    }
  });

  it('say nothing changed for an equal value, even one made of other objects', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    expect(diff(JSON.parse(JSON.stringify(value)), structuredClone(value))).toBeNull();
  });

  it('carry only what changed: one item added to a long list costs about that item', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ i, text: 'x'.repeat(100) }));
    const before = { context: { items }, value: 'step' };
    const after = { context: { items: [...items, { i: 1000, text: 'y'.repeat(100) }] }, value: 'step' };
    const delta = diff(JSON.parse(JSON.stringify(before)), after);
    expect(JSON.stringify(delta).length).toBeLessThan(200);
    expect(replayed(before, after)).toBe(JSON.stringify(after));
  });

  it('write what JSON.stringify writes: undefined left out or null in arrays, toJSON, non-finite numbers, __proto__', () => {
    const when = new Date('2026-12-07T10:00:00.000Z');
    const before = { keep: 1, gone: 2, list: [1, 2] };
    const after = { keep: 1, gone: undefined, list: [1, undefined, () => 1], when, nan: Number.NaN, big: Infinity, ['__proto__']: { x: 1 }, fn: () => 2 };
    Object.defineProperty(after, '__proto__', { value: { x: 1 }, enumerable: true });
    expect(replayed(before, after)).toBe(JSON.stringify(after));
    const rebuilt: unknown = JSON.parse(replayed(before, after));
    expect(Object.getPrototypeOf(rebuilt)).toBe(Object.prototype);
  });

  it('keep integer-like keys where JSON puts them, and moved keys in their new order', () => {
    expect(replayed({ b: 1, a: 2 }, { a: 2, b: 1 })).toBe('{"a":2,"b":1}');
    expect(replayed({ b: 1 }, { b: 1, 2: 'x', 1: 'y' })).toBe(JSON.stringify({ b: 1, 2: 'x', 1: 'y' }));
  });

  it('refuses a delta that does not fit the value it is applied to', () => {
    expect(() => applyDelta({ a: 1 }, [2, 1, {}])).toThrow(/array change/);
    expect(() => applyDelta([1], [1, {}])).toThrow(/object change/);
    expect(() => applyDelta([1], [2, 3, { 2: [0, 1] }])).toThrow(/item 1 empty/);
    expect(() => applyDelta({}, [9])).toThrow(/unknown kind/);
    expect(() => applyDelta({}, { not: 'a delta' })).toThrow(/not an array/);
  });
});
